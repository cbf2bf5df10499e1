"""The supply side of care on the islands: facilities and their build plans, the links between
islands, the island tiers' overrides and the reach of a 15-minute circle, all as data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Provenance(models.TextChoices):
    OFFICIAL = "official", _("official figure")
    BUREAU = "bureau", _("entered by the bureau")
    DEFAULT = "default", _("shipped default, for the bureau to replace")
    DRAFT = "draft", _("draft: an unsourced figure to verify")


class FacilityKind(models.TextChoices):
    YIJIA = "yijia", _("happiness station (幸福驿家)")
    YIJIA_COMPACT = "yijia_compact", _("compact happiness station")
    HOME_CARE = "home_care", _("home-care service centre")
    COMPLEX = "complex", _("community service complex")
    LIVING_ROOM = "living_room", _("residents' living room")
    INSTITUTION = "institution", _("care institution")
    SOCIAL_WORK = "social_work", _("town social-work station")
    ALLIANCE = "alliance", _("county assistance alliance")
    MOBILE = "mobile", _("mobile service station")


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    BUILDING = "building", _("being built")
    OPERATING = "operating", _("operating")
    CLOSED = "closed", _("closed")


class Facility(models.Model):
    """A place elders are served from. 幸福食堂 are the canteens themselves (the map and the
    coverage read them from the canteens), not rows here."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=FacilityKind.choices)
    village = models.ForeignKey(
        "geo.Region",
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "village"},
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FacilityStatus.choices, default=FacilityStatus.PLANNED
    )
    planned_year = models.PositiveSmallIntegerField(
        _("planned for the year"), null=True, blank=True
    )
    building_from = models.DateField(_("building from"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=80, blank=True)
    # Kinds of service (the service list's kinds: meals, medical, day_care …) offered here.
    services = models.JSONField(_("services offered"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("places a day"), null=True, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    dementia_beds = models.PositiveIntegerField(
        _("of which dementia-care beds"), null=True, blank=True
    )
    medical_care = models.BooleanField(_("medical and care combined (医养结合)"), default=False)
    smart_terminal = models.BooleanField(_("intelligent service terminal"), default=False)
    star_rating = models.PositiveSmallIntegerField(_("star rating"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            models.UniqueConstraint(fields=["village", "kind", "name"], name="facility_once"),
            models.CheckConstraint(
                condition=Q(lon__isnull=True, lat__isnull=True)
                | Q(lon__range=(-180, 180), lat__range=(-90, 90)),
                name="facility_point_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(dementia_beds__isnull=True) | Q(dementia_beds__lte=F("beds")),
                name="facility_dementia_beds_within_beds",
            ),
            models.CheckConstraint(
                condition=Q(star_rating__isnull=True) | Q(star_rating__range=(1, 5)),
                name="facility_star_rating_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="operating") | Q(opened_on__isnull=False),
                name="facility_operating_has_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BuildPlan(models.Model):
    """How many of a kind a district (or the city) means to open in a year."""

    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=16)  # a FacilityKind, or "canteen"
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("district or city"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.PositiveIntegerField(_("target"))
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.BUREAU
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("build plan")
        verbose_name_plural = _("build plans")
        ordering = ["-year", "kind", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "region"], name="build_plan_once")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.kind} {self.region_id}"


class LinkMode(models.TextChoices):
    BRIDGE = "bridge", _("bridge")
    FERRY = "ferry", _("ferry")


class Link(models.Model):
    """A crossing between two islands (or an island and the mainland), both ways."""

    a = models.CharField(_("from"), max_length=40)
    b = models.CharField(_("to"), max_length=40)
    mode = models.CharField(_("mode"), max_length=8, choices=LinkMode.choices)
    minutes = models.PositiveIntegerField(_("crossing minutes"))
    sailings_a_day = models.PositiveSmallIntegerField(_("sailings a day"), null=True, blank=True)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DRAFT
    )
    source = models.CharField(_("where the figures come from"), max_length=200)

    class Meta:
        verbose_name = _("island link")
        verbose_name_plural = _("island links")
        ordering = ["a", "b"]
        constraints = [
            models.UniqueConstraint(fields=["a", "b", "mode"], name="link_once"),
            models.CheckConstraint(condition=~Q(a=F("b")), name="link_two_places"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="link_takes_time"),
        ]

    def __str__(self) -> str:
        return f"{self.a}–{self.b}"


class CircleProfile(models.Model):
    """How far 15 minutes reach: a walking speed over 900 s divided by a detour factor, or a
    planning radius given as such. The one marked default drives the board's figures."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)
    radius_m = models.PositiveIntegerField(_("radius (m)"))
    how = models.CharField(_("how the radius is reached"), max_length=200)
    core_kinds = models.JSONField(_("core services that count"), default=list)
    is_default = models.BooleanField(_("default"), default=False)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DEFAULT
    )

    class Meta:
        verbose_name = _("15-minute circle profile")
        verbose_name_plural = _("15-minute circle profiles")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_profile"
            ),
            models.CheckConstraint(condition=Q(radius_m__gt=0), name="profile_radius_positive"),
        ]

    def __str__(self) -> str:
        return self.name_zh


def default_bases() -> dict[str, str]:
    return {"330902": "舟山本岛", "330903": "舟山本岛", "330921": "岱山岛", "330922": "泗礁山"}


class IslandTierRule(models.Model):
    """The numbers the island tiers are computed with (one row)."""

    compact_min_elders = models.PositiveIntegerField(
        _("elders for a compact 驿家"),
        default=30,
        help_text=_(
            "A small island without a town with at least this many elders gets a "
            "compact 驿家; with fewer, the mobile station's visits."
        ),
    )
    mobile_visits_a_month = models.PositiveSmallIntegerField(
        _("mobile station visits a month"), default=2
    )
    mobile_stop_minutes = models.PositiveSmallIntegerField(
        _("minutes a mobile team stays on an island"), default=150
    )
    mobile_day_minutes = models.PositiveSmallIntegerField(
        _("a mobile team's working day (minutes)"), default=540
    )
    # Where each county's mobile team sets out from: county code → island name.
    mobile_bases = models.JSONField(_("mobile teams' bases"), default=default_bases)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DEFAULT
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("island tier rule")
        verbose_name_plural = _("island tier rules")

    def __str__(self) -> str:
        return str(_("island tier rule"))


class RotaVisit(models.Model):
    """One island on one day's trip of a county's mobile team, planned for the month and
    recorded when the team has been."""

    month = models.CharField(_("month"), max_length=6)  # 202612
    county = models.ForeignKey(
        "geo.Region",
        verbose_name=_("district or county"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("day"))
    trip = models.PositiveSmallIntegerField(_("trip"))
    seq = models.PositiveSmallIntegerField(_("stop"))
    island = models.ForeignKey(
        "geo.Island", verbose_name=_("island"), on_delete=models.PROTECT, related_name="+"
    )
    base = models.CharField(_("sets out from"), max_length=40)
    route = models.JSONField(_("route"), default=list)  # every island the trip passes
    trip_minutes = models.PositiveIntegerField(_("trip minutes"))
    over_a_day = models.BooleanField(_("longer than a working day"), default=False)
    done_at = models.DateTimeField(_("on the island at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("mobile rota visit")
        verbose_name_plural = _("mobile rota visits")
        ordering = ["month", "county__code", "day", "trip", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["island", "day"], name="rota_island_once_a_day"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(done_by__isnull=False),
                name="rota_done_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.island_id}"


class TrainingSession(models.Model):
    """A training course for carers (the 十百千 programme's sessions among them)."""

    name = models.CharField(_("name"), max_length=80)
    programme = models.CharField(_("programme"), max_length=40, blank=True)
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("held for"), on_delete=models.PROTECT, related_name="+"
    )
    held_from = models.DateField(_("from"))
    held_to = models.DateField(_("until"))
    certificate_level = models.CharField(
        _("certificate it prepares for"), max_length=12, blank=True
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(held_to__gte=F("held_from")), name="training_valid_dates"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TrainingAttendance(models.Model):
    """One person at one session, with the exam's result once known (None: not examined)."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    carer = models.ForeignKey(
        "care.Carer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(_("name"), max_length=40)
    passed = models.BooleanField(_("passed the exam"), null=True, blank=True)

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "carer"],
                condition=Q(carer__isnull=False),
                name="attendance_once_per_carer",
            )
        ]

    def __str__(self) -> str:
        return self.person_name


class CommunityWorker(models.Model):
    """A full-time community worker (专职社区工作者) of a village or community."""

    village = models.ForeignKey(
        "geo.Region",
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "village"},
    )
    name = models.CharField(_("name"), max_length=40)
    certified = models.BooleanField(_("holds the social-work qualification"), default=False)
    since = models.DateField(_("in post since"), null=True, blank=True)
    until = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("community worker")
        verbose_name_plural = _("community workers")
        ordering = ["village__code", "name"]

    def __str__(self) -> str:
        return self.name


class VillagePopulation(models.Model):
    """Residents of a village or community, for "per 10,000 residents": the bureau's own
    figure, or an estimate (the district's resident population shared out by the register's
    elders) until it enters one."""

    village = models.OneToOneField(
        "geo.Region",
        verbose_name=_("village or community"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    residents = models.PositiveIntegerField(_("residents"))
    year = models.PositiveSmallIntegerField(_("year"))
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DEFAULT
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("village population")
        verbose_name_plural = _("village populations")

    def __str__(self) -> str:
        return f"{self.village_id} {self.residents}"


class AllowanceRule(models.Model):
    """A special-post allowance for carers: who qualifies (certificate level, years in a care
    post) and how much a month, from a date."""

    certificate_level = models.CharField(_("certificate level"), max_length=12)
    min_years = models.PositiveSmallIntegerField(_("years in post at least"), default=0)
    monthly_fen = models.PositiveIntegerField(_("a month (fen)"))
    valid_from = models.DateField(_("in force from"))
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DEFAULT
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("special-post allowance rule")
        verbose_name_plural = _("special-post allowance rules")
        ordering = ["-valid_from", "certificate_level", "-min_years"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_level", "min_years", "valid_from"], name="allowance_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_level} {self.min_years}"
