"""The indicator board (挂图晾晒), on the model health information systems proved (DHIS2): an
indicator is data (what it counts, which way is better, computed or reported, its period
type); a value belongs to an indicator, a unit (city, district, town, village) and a period
(`202605`, `2026Q2`, `2026S1`, `2026`), keeps its numerator and denominator so that roll-ups
sum them, and a reported value moves draft → submitted → approved level by level."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core import clock


class Measure(models.TextChoices):
    COUNT = "count", _("count")
    PERCENT = "percent", _("percentage")
    PER_10K = "per_10k", _("rate per 10,000")
    MILESTONE = "milestone", _("milestone")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class PeriodType(models.TextChoices):
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    HALF = "half", _("half-yearly")
    YEAR = "year", _("yearly")


class Provenance(models.TextChoices):
    OFFICIAL = "official", _("from the bureau's report")
    BUREAU = "bureau", _("the bureau's own definition")
    DEFAULT = "default", _("default definition, for the bureau to confirm")


class Indicator(models.Model):
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=80)
    definition = models.CharField(_("definition"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=20)
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    direction = models.CharField(
        _("direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    unit_label = models.CharField(_("unit"), max_length=20, blank=True)
    # A registered computation (board.registry) where the platform knows the figure; empty:
    # the responsible unit reports it.
    function = models.CharField(_("computed by"), max_length=40, blank=True)
    period_type = models.CharField(_("period type"), max_length=8, choices=PeriodType.choices)
    responsible_unit = models.CharField(_("responsible unit"), max_length=40, blank=True)
    leader = models.CharField(_("responsible leader"), max_length=40, blank=True)
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    # Points below the time's progress that are still yellow (more behind: red).
    yellow_band = models.FloatField(_("yellow band (points)"), default=10.0)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DEFAULT
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(yellow_band__gte=0), name="indicator_band_positive")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_computed(self) -> bool:
        return bool(self.function)


class Target(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    period_id = models.CharField(_("period"), max_length=8)
    value = models.FloatField(_("target"))
    source = models.CharField(_("where it comes from"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "period_id"], name="target_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period_id} {self.value}"


class ValueOrigin(models.TextChoices):
    COMPUTED = "computed", _("computed from the platform")
    REPORTED = "reported", _("reported by the unit")
    LOADED = "loaded", _("loaded from the bureau's report")


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("sent back")
    DISTRICT_APPROVED = "district", _("approved by the district")
    APPROVED = "approved", _("approved")


class DataValue(models.Model):
    """One indicator's value for one unit and period. Computed and loaded values are approved
    as they are; a reported one is approved level by level and is then locked."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    period_id = models.CharField(_("period"), max_length=8)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=ValueOrigin.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=clock.stamp)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        indexes = [models.Index(fields=["period_id", "indicator"])]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "period_id"], name="value_once"),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="value_denominator_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.region_id} {self.period_id}"

    @property
    def locked(self) -> bool:
        return self.status == ValueStatus.APPROVED


class Evidence(models.Model):
    value = models.ForeignKey(DataValue, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="board/%Y/%m/")
    name = models.CharField(_("name"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=clock.stamp)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.name


class ItemSource(models.TextChoices):
    INDICATOR = "indicator", _("an indicator behind")
    VISIT = "visit", _("a caring visit's finding")
    DISCOVERY = "discovery", _("a discovery case")
    ANOMALY = "anomaly", _("an anomaly case")
    FINDING = "finding", _("a canteen inspection's finding")
    INSTRUCTION = "instruction", _("a leader's instruction")


class ItemStatus(models.TextChoices):
    REGISTERED = "registered", _("registered (立项)")
    ASSIGNED = "assigned", _("assigned (交办)")
    ACCEPTED = "accepted", _("accepted (签收)")
    IN_PROGRESS = "in_progress", _("being handled (办理)")
    REPORTED = "reported", _("reported back (反馈)")
    CLOSED = "closed", _("closed (办结)")


OPEN_ITEM_STATUSES = (
    ItemStatus.REGISTERED,
    ItemStatus.ASSIGNED,
    ItemStatus.ACCEPTED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.REPORTED,
)


class SupervisionItem(models.Model):
    """A 督办 item: raised for a reason, assigned to a unit with a deadline, accepted, handled,
    reported back, and reviewed by whoever raised it: closed, or sent back (退办)."""

    title = models.CharField(_("title"), max_length=120)
    source = models.CharField(_("raised from"), max_length=12, choices=ItemSource.choices)
    basis = models.CharField(_("basis"), max_length=300)
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    period_id = models.CharField(_("period"), max_length=8, blank=True)
    source_ref = models.CharField(_("source reference"), max_length=60, blank=True)
    unit = models.ForeignKey(
        "geo.Region", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.CharField(_("responsible person"), max_length=40, blank=True)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.REGISTERED
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"), default=clock.stamp)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("supervision item")
        verbose_name_plural = _("supervision items")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="item_closed_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title


class StepKind(models.TextChoices):
    ASSIGN = "assign", _("raised and assigned (立项交办)")
    ACCEPT = "accept", _("accepted (签收)")
    PROGRESS = "progress", _("progress (办理)")
    REPORT = "report", _("reported back (反馈)")
    CLOSE = "close", _("reviewed and closed (复核办结)")
    SEND_BACK = "send_back", _("sent back (退办)")
    ASK_MORE_TIME = "ask_more_time", _("more time asked for")
    GRANT_MORE_TIME = "grant_more_time", _("more time granted")
    REFUSE_MORE_TIME = "refuse_more_time", _("more time refused")


class ItemStep(models.Model):
    """What was done to an item, by whom and when, with what was said (kept for good)."""

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=clock.stamp)
    text = models.CharField(_("what was said"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("supervision step")
        verbose_name_plural = _("supervision steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.step}"


class Extension(models.Model):
    """A later deadline, asked for before the deadline with a reason, and decided."""

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="extensions")
    reason = models.CharField(_("reason"), max_length=300)
    new_deadline = models.DateField(_("new deadline"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(_("asked at"), default=clock.stamp)
    granted = models.BooleanField(_("granted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")

    def __str__(self) -> str:
        return f"{self.item_id} → {self.new_deadline}"
