"""Monthly (or quarterly) settlement of canteens with the funders who pay them back.

A sale belongs to the statement of the first period still open for its canteen when the
statement is submitted: normally its own month; a late offline sale or a refund made after
that month's statement was submitted lands in the next one as an adjustment. A submitted
statement's entries and totals never change (one entry per sale and per reversal, unique).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core import clock


class Cycle(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class Funder(models.TextChoices):
    """Who pays the canteen back for a meal (the canteen's own discount it bears itself)."""

    DISTRICT = "district", _("district fund (incl. subsidy purse and delivery subsidy)")
    CITY = "city", _("city fund")
    CHARITY = "charity", _("charity fund (incl. charity allowance)")
    PREPAID = "prepaid", _("elders' prepaid money")
    CANTEEN = "canteen", _("canteen's own discount")


class SettlementPeriod(models.Model):
    cycle = models.CharField(_("cycle"), max_length=10, choices=Cycle.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))

    class Meta:
        verbose_name = _("settlement period")
        verbose_name_plural = _("settlement periods")
        ordering = ["-starts_on", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "starts_on"], name="period_once"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="period_valid_range"
            ),
        ]

    def __str__(self) -> str:
        if self.cycle == Cycle.MONTHLY:
            return f"{self.starts_on:%Y年%m月}"
        return f"{self.starts_on:%Y年}第{(self.starts_on.month - 1) // 3 + 1}季度"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted by the canteen")
    REVIEWED = "reviewed", _("reviewed by the town / district")
    APPROVED = "approved", _("approved by the city")
    PAID = "paid", _("paid")


class Statement(models.Model):
    """One canteen's statement for one period, with a line per funder."""

    period = models.ForeignKey(
        SettlementPeriod, on_delete=models.PROTECT, related_name="statements"
    )
    canteen = models.ForeignKey(
        "canteens.Canteen", verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    totals = models.JSONField(_("totals at submission"), default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-period__starts_on", "canteen"]
        constraints = [
            models.UniqueConstraint(fields=["period", "canteen"], name="statement_once"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="statement_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"]) | Q(approved_at__isnull=False),
                name="statement_approved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="statement_paid_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} · {self.period}"


class StatementStep(models.TextChoices):
    SUBMIT = "submit", _("submitted")
    REVIEW = "review", _("reviewed")
    APPROVE = "approve", _("approved")
    PAY = "pay", _("payment recorded")
    RETURN = "return", _("sent back")


class StatementComment(models.Model):
    """What was said at each step: a reviewer's comment the canteen reads, the reason a
    statement was sent back, the payment's reference. Kept with the statement for good."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="comments")
    step = models.CharField(_("step"), max_length=10, choices=StatementStep.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("comment"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), default=clock.stamp, editable=False)

    class Meta:
        verbose_name = _("statement comment")
        verbose_name_plural = _("statement comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(step="return") | ~Q(text=""), name="statement_return_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.statement_id}"


class EntryKind(models.TextChoices):
    SALE = "sale", _("sale")
    REVERSAL = "reversal", _("void or refund")


class StatementEntry(models.Model):
    """A sale or its reversal, settled in exactly one statement (unique per meal and kind)."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="entries")
    meal = models.ForeignKey("meals.Meal", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    adjustment = models.BooleanField(
        _("adjustment"), default=False, help_text=_("Dated in an earlier, closed period.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meal", "kind"], name="entry_settled_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.meal_id}"


class AnomalyKind(models.TextChoices):
    TRAVEL = "travel", _("two canteens too far apart for the time between")
    MANY_MEALS = "many_meals", _("unusually many meals")
    AFTER_DEATH = "after_death", _("meal after a recorded death")
    AFTER_MOVE = "after_move", _("meal after moving away")
    CLOCK_DRIFT = "clock_drift", _("terminal clock drifts")
    REVERSALS = "reversals", _("voids and refunds above normal")
    UNUSUAL_TOTAL = "big_sale", _("a sale far above the canteen's usual")


class AnomalyResolution(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed misuse: recovered or reported")
    EXPLAINED = "explained", _("explained: no misuse")
    CORRECTED = "corrected", _("data corrected")


class AnomalyCase(models.Model):
    """A case for review, with the evidence that raised it and how it was resolved."""

    kind = models.CharField(_("kind"), max_length=12, choices=AnomalyKind.choices)
    key = models.CharField(max_length=120, help_text=_("what the case is about, found once"))
    period = models.ForeignKey(SettlementPeriod, on_delete=models.PROTECT, related_name="cases")
    elder = models.ForeignKey(
        "elders.Elder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    canteen = models.ForeignKey(
        "canteens.Canteen", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=80, db_index=True)
    summary = models.CharField(_("summary"), max_length=200)
    evidence = models.JSONField(_("evidence"))
    detected_at = models.DateTimeField(_("detected at"))
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=AnomalyResolution.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("anomaly case")
        verbose_name_plural = _("anomaly cases")
        ordering = ["resolved_at", "-detected_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="anomaly_found_once"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="anomaly_resolved_with_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.summary
