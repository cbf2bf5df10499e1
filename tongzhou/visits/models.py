"""Monthly caring visits (月探访): risk tiers as data, the visits they schedule, what a
visitor records in five sections, and the follow-ups a finding opens until a return visit
closes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core.names import shown_name


class Frequency(models.TextChoices):
    WEEK = "week", _("every week")
    MONTH = "month", _("every month")
    QUARTER = "quarter", _("every quarter")


class VisitTier(models.Model):
    """A risk tier: who is in it (the same kind of rule as a service group) and how often
    they are visited. The first active tier an elder matches, by priority, applies."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=60)
    priority = models.PositiveSmallIntegerField(_("priority (lower first)"))
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    categories = models.JSONField(_("categories (any)"), default=list, blank=True)
    living = models.JSONField(_("living arrangements (any)"), default=list, blank=True)
    min_assessment_level = models.PositiveSmallIntegerField(
        _("assessment level at least"), null=True, blank=True
    )
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    # Whether a phone or video call counts as the visit for this tier.
    remote_counts = models.BooleanField(_("a call counts"), default=False)
    provenance = models.CharField(_("provenance"), max_length=10, default="default")
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("visit tier")
        verbose_name_plural = _("visit tiers")
        ordering = ["priority"]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def display_name(self) -> str:
        """The name in the page's language (the English one where it is given)."""
        return shown_name(self.name_zh, self.name_en)


class VisitReason(models.TextChoices):
    ROUTINE = "routine", _("routine")
    MAJOR_CHANGE = "major_change", _("after a major change")
    RETURN = "return", _("return visit for a follow-up")


class VisitStatus(models.TextChoices):
    OPEN = "open", _("due")
    DONE = "done", _("done")
    DONE_LATE = "done_late", _("done late")
    MISSED = "missed", _("overdue")
    CANCELLED = "cancelled", _("cancelled")


class ScheduledVisit(models.Model):
    """One visit owed to an elder: due on a day, open from `opens` to `closes`. A visit not
    made by `closes` is overdue (and escalated to the town); made later, it is done late."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    tier = models.ForeignKey(VisitTier, on_delete=models.PROTECT, related_name="visits")
    reason = models.CharField(_("reason"), max_length=14, choices=VisitReason.choices)
    period_id = models.CharField(_("period"), max_length=8)
    due = models.DateField(_("due"))
    opens = models.DateField(_("opens"))
    closes = models.DateField(_("closes"))
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.OPEN
    )
    note = models.CharField(_("note"), max_length=120, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled visit")
        verbose_name_plural = _("scheduled visits")
        ordering = ["due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "period_id"],
                condition=Q(reason="routine") & ~Q(status="cancelled"),
                name="visit_one_routine_per_period",
            ),
            models.CheckConstraint(
                condition=Q(opens__lte=F("due"), due__lte=F("closes")), name="visit_window_order"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "closes"]),
            models.Index(fields=["village", "status"]),
            models.Index(fields=["due"]),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.period_id}"


class VisitMethod(models.TextChoices):
    HOME = "home", _("visit at home")
    PHONE = "phone", _("phone call")
    VIDEO = "video", _("video call")
    VOLUNTEER = "volunteer", _("paired volunteer")
    NEIGHBOUR = "neighbour", _("relative or neighbour")


REMOTE_METHODS = (VisitMethod.PHONE, VisitMethod.VIDEO)
SECTIONS = ("health", "economy", "family", "safety", "needs")


class VisitRecord(models.Model):
    """What a visitor found, in the five sections of the national practice: health, economy,
    family support, home safety, service needs. Each section is {"ok": bool, "note": str}."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    scheduled = models.OneToOneField(
        ScheduledVisit, null=True, blank=True, on_delete=models.PROTECT, related_name="record"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("how"), max_length=10, choices=VisitMethod.choices)
    visited_at = models.DateTimeField(_("visited at"))
    business_date = models.DateField(_("business date"), db_index=True)
    late = models.BooleanField(_("late"), default=False)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    health = models.JSONField(_("health"), default=dict)
    economy = models.JSONField(_("economy"), default=dict)
    family = models.JSONField(_("family support"), default=dict)
    safety = models.JSONField(_("home safety"), default=dict)
    needs = models.JSONField(_("service needs"), default=dict)
    summary = models.CharField(_("summary"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["elder", "business_date"])]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.business_date}"


class FollowUp(models.Model):
    """A finding to be cleared (清零): owned by a worker, due by a date, closed only by a
    return visit that says it is resolved."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(VisitRecord, on_delete=models.PROTECT, related_name="follow_ups")
    section = models.CharField(_("section"), max_length=10)
    finding = models.CharField(_("finding"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due = models.DateField(_("due"))
    return_visit = models.OneToOneField(
        ScheduledVisit, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_up"
    )
    closed_by = models.ForeignKey(
        VisitRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="closed"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_by__isnull=False),
                name="follow_up_closed_by_a_visit",
            )
        ]
        indexes = [models.Index(fields=["village", "closed_at"])]

    def __str__(self) -> str:
        return self.finding
