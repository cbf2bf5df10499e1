"""The network's data in the back office, each save validated and audited through the
reference writer: facilities and build plans by the town, district or city; the links, the
circle profiles and the tier rule by the city."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import scope_for
from tongzhou.audit.services import reference_save
from tongzhou.geo.selectors import city_path
from tongzhou.network.models import (
    AllowanceRule,
    BuildPlan,
    CircleProfile,
    CommunityWorker,
    Facility,
    IslandTierRule,
    Link,
    TrainingAttendance,
    TrainingSession,
    VillagePopulation,
)

FACILITY_FIELDS = (
    "name", "kind", "village", "lon", "lat", "status", "planned_year", "building_from",
    "opened_on", "closed_on", "opening_hours", "services", "capacity", "beds", "dementia_beds",
    "medical_care", "smart_terminal", "star_rating", "note",
)  # fmt: skip
PLAN_FIELDS = ("year", "kind", "region", "target", "provenance", "source")
LINK_FIELDS = ("a", "b", "mode", "minutes", "sailings_a_day", "provenance", "source")
PROFILE_FIELDS = ("code", "name_zh", "name_en", "radius_m", "how", "core_kinds", "is_default",
                  "provenance")  # fmt: skip
RULE_FIELDS = ("compact_min_elders", "mobile_visits_a_month", "provenance")


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    list_display = ("name", "kind", "village", "status", "opened_on", "smart_terminal")
    list_filter = ("kind", "status", "smart_terminal", "medical_care")
    search_fields = ("name",)
    fields = FACILITY_FIELDS
    autocomplete_fields = ()
    raw_id_fields = ("village",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Facility]:
        return Facility.objects.filter(scope_for(request.user).region_q("village__path"))

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=FACILITY_FIELDS, cap=Cap.CARE_REVIEW,
                       scope_path=obj.village.path)  # fmt: skip


@admin.register(BuildPlan)
class BuildPlanAdmin(ScopedAdmin):
    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    list_display = ("year", "kind", "region", "target", "provenance")
    list_filter = ("year", "kind")
    fields = PLAN_FIELDS
    raw_id_fields = ("region",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[BuildPlan]:
        return BuildPlan.objects.filter(scope_for(request.user).region_q("region__path"))

    def save_model(self, request: HttpRequest, obj: BuildPlan, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=PLAN_FIELDS, cap=Cap.CARE_REVIEW,
                       scope_path=obj.region.path)  # fmt: skip


class CityDataAdmin(ScopedAdmin):
    """Data the whole city shares: read by staff, changed by the city."""

    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_LIST_EDIT
    saved_fields: tuple[str, ...] = ()

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=self.saved_fields,
                       cap=Cap.CARE_LIST_EDIT, scope_path=city_path())  # fmt: skip


@admin.register(Link)
class LinkAdmin(CityDataAdmin):
    list_display = ("a", "b", "mode", "minutes", "sailings_a_day", "provenance")
    list_filter = ("mode", "provenance")
    search_fields = ("a", "b")
    fields = saved_fields = LINK_FIELDS


@admin.register(CircleProfile)
class CircleProfileAdmin(CityDataAdmin):
    list_display = ("name_zh", "radius_m", "is_default", "provenance")
    fields = saved_fields = PROFILE_FIELDS


@admin.register(IslandTierRule)
class IslandTierRuleAdmin(CityDataAdmin):
    list_display = ("__str__", "compact_min_elders", "mobile_visits_a_month", "provenance")
    fields = saved_fields = RULE_FIELDS


WORKER_FIELDS = ("village", "name", "certified", "since", "until")
POPULATION_FIELDS = ("village", "residents", "year", "provenance", "source")
SESSION_FIELDS = ("name", "programme", "region", "held_from", "held_to", "certificate_level")
ALLOWANCE_FIELDS = ("certificate_level", "min_years", "monthly_fen", "valid_from", "provenance",
                    "source")  # fmt: skip


class VillageDataAdmin(ScopedAdmin):
    """Rows of a village, kept by its town, district or city."""

    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    raw_id_fields = ("village",)
    saved_fields: tuple[str, ...] = ()

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model._default_manager.filter(scope_for(request.user).region_q("village__path"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=self.saved_fields,
                       cap=Cap.CARE_REVIEW, scope_path=obj.village.path)  # fmt: skip


@admin.register(CommunityWorker)
class CommunityWorkerAdmin(VillageDataAdmin):
    list_display = ("name", "village", "certified", "since", "until")
    list_filter = ("certified",)
    search_fields = ("name",)
    fields = saved_fields = WORKER_FIELDS


@admin.register(VillagePopulation)
class VillagePopulationAdmin(VillageDataAdmin):
    list_display = ("village", "residents", "year", "provenance")
    fields = saved_fields = POPULATION_FIELDS


class AttendanceInline(admin.TabularInline):
    model = TrainingAttendance
    fields = ("person_name", "carer", "passed")
    raw_id_fields = ("carer",)
    extra = 0


@admin.register(TrainingSession)
class TrainingSessionAdmin(ScopedAdmin):
    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    list_display = ("name", "programme", "region", "held_from", "held_to")
    list_filter = ("programme",)
    fields = SESSION_FIELDS
    raw_id_fields = ("region",)
    inlines = (AttendanceInline,)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[TrainingSession]:
        return TrainingSession.objects.filter(scope_for(request.user).region_q("region__path"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=SESSION_FIELDS, cap=Cap.CARE_REVIEW,
                       scope_path=obj.region.path)  # fmt: skip


@admin.register(AllowanceRule)
class AllowanceRuleAdmin(CityDataAdmin):
    list_display = ("certificate_level", "min_years", "monthly_fen", "valid_from", "provenance")
    fields = saved_fields = ALLOWANCE_FIELDS
