from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core import clock

SESSION_CHOICES = [("breakfast", _("breakfast")), ("lunch", _("lunch")), ("dinner", _("dinner"))]


class MealStatus(models.TextChoices):
    COMPLETED = "completed", _("completed")
    VOIDED = "voided", _("voided")
    REFUNDED = "refunded", _("refunded")


class Meal(models.Model):
    """One sale at a counter, with the quote that priced it and the rule version it used.

    Every sale inserts a row, so it carries only the indexes a query uses: a foreign key
    covered by a composite index has none of its own, and policies and rules (never
    deleted) need none for their PROTECT checks."""

    receipt_no = models.CharField(_("receipt number"), max_length=40)
    canteen = models.ForeignKey(
        "canteens.Canteen",
        verbose_name=_("canteen"),
        on_delete=models.PROTECT,
        related_name="meals",
    )
    terminal = models.ForeignKey(
        "canteens.Terminal",
        verbose_name=_("terminal"),
        on_delete=models.PROTECT,
        related_name="meals",
        db_index=False,  # meal_terminal_receipt_once leads with it
    )
    client_receipt_no = models.CharField(_("terminal receipt number"), max_length=40)
    elder = models.ForeignKey(
        "elders.Elder",
        verbose_name=_("elder"),
        on_delete=models.PROTECT,
        related_name="meals",
        db_index=False,  # the (elder, business date) index leads with it
    )
    business_date = models.DateField(_("business date"), db_index=True)
    session = models.CharField(_("meal session"), max_length=10, choices=SESSION_CHOICES)
    created_at = models.DateTimeField(_("recorded at"), default=clock.stamp, editable=False)
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    lines = models.JSONField(_("lines"))
    total_fen = models.PositiveIntegerField(_("total (fen)"))
    subsidy_fen = models.PositiveIntegerField(_("subsidy (fen)"))
    district_fen = models.PositiveIntegerField(_("district fund (fen)"))
    city_fen = models.PositiveIntegerField(_("city fund (fen)"))
    charity_fen = models.PositiveIntegerField(_("charity fund (fen)"))
    canteen_discount_fen = models.PositiveIntegerField(_("canteen discount (fen)"))
    delivery_fee_fen = models.PositiveIntegerField(_("delivery fee (fen)"), default=0)
    delivery_subsidy_fen = models.PositiveIntegerField(_("delivery fee subsidy (fen)"), default=0)
    subsidy_purse_fen = models.PositiveIntegerField(_("paid from subsidy purse (fen)"))
    charity_purse_fen = models.PositiveIntegerField(_("paid from charity allowance (fen)"))
    own_fen = models.PositiveIntegerField(_("paid by the elder (fen)"))
    policy = models.ForeignKey(
        "subsidies.SubsidyPolicy",
        verbose_name=_("policy version"),
        on_delete=models.PROTECT,
        db_index=False,
    )
    rule = models.ForeignKey(
        "subsidies.SubsidyRule",
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    outcome = models.CharField(_("subsidy outcome"), max_length=16)
    age_band = models.CharField(_("age band"), max_length=8)
    categories = models.JSONField(_("categories on the day"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=MealStatus.choices, default=MealStatus.COMPLETED
    )
    journal = models.OneToOneField("ledger.Journal", on_delete=models.PROTECT, related_name="meal")
    # The void's or refund's journal; unique through a partial index (`meal_reversal_once`),
    # so that the sales, which have none, put no NULL into it.
    reversal = models.ForeignKey(
        "ledger.Journal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("meal")
        verbose_name_plural = _("meals")
        ordering = ["-created_at"]
        constraints = [
            # A constraint rather than unique=True: no second (LIKE) index on PostgreSQL.
            models.UniqueConstraint(fields=["receipt_no"], name="meal_receipt_no_once"),
            models.UniqueConstraint(
                fields=["terminal", "client_receipt_no"], name="meal_terminal_receipt_once"
            ),
            models.UniqueConstraint(
                fields=["reversal"], condition=Q(reversal__isnull=False), name="meal_reversal_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    subsidy_fen=F("district_fen")
                    + F("city_fen")
                    + F("charity_fen")
                    + F("canteen_discount_fen")
                ),
                name="meal_subsidy_parts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(
                    total_fen=F("subsidy_fen")
                    + F("delivery_subsidy_fen")
                    + F("subsidy_purse_fen")
                    + F("charity_purse_fen")
                    + F("own_fen")
                ),
                name="meal_payments_add_up",
            ),
            models.CheckConstraint(
                condition=Q(delivery_subsidy_fen__lte=F("delivery_fee_fen")),
                name="meal_delivery_subsidy_within_fee",
            ),
            models.CheckConstraint(
                condition=Q(status="completed", reversal__isnull=True)
                | (~Q(status="completed") & Q(reversal__isnull=False)),
                name="meal_reversed_has_journal",
            ),
        ]
        indexes = [models.Index(fields=["elder", "business_date"])]

    def __str__(self) -> str:
        return self.receipt_no


class SubsidyClaim(models.Model):
    """The city-wide cap: at most one live subsidised meal per elder, session and day,
    whichever canteen serves it. A void or refund releases the claim."""

    elder = models.ForeignKey(
        "elders.Elder", on_delete=models.PROTECT, related_name="+", db_index=False
    )  # claim_one_subsidised_meal_per_session leads with it
    business_date = models.DateField()
    session = models.CharField(max_length=10, choices=SESSION_CHOICES)
    meal = models.OneToOneField(Meal, on_delete=models.PROTECT, related_name="claim")
    released = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "business_date", "session"],
                condition=Q(released=False),
                name="claim_one_subsidised_meal_per_session",
            )
        ]
        # Every read of claims is of live ones (this session, this month): the partial unique
        # index serves them all, so a sale maintains no second index on elder and date.

    def __str__(self) -> str:
        return f"{self.elder_id} {self.business_date} {self.session}"


class IdempotencyRecord(models.Model):
    """The stored answer to a terminal's request, replayed when the same key comes again."""

    terminal = models.ForeignKey(
        "canteens.Terminal", on_delete=models.PROTECT, related_name="+", db_index=False
    )  # idempotency_key_once leads with it
    key = models.CharField(max_length=80)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=clock.stamp, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["terminal", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return self.key


class OfflineOutcome(models.TextChoices):
    POSTED = "posted", _("posted as sold")
    FULL_PRICE = "full_price", _("posted at full price (subsidy used elsewhere first)")
    REPRICED = "repriced", _("re-posted at full price (an earlier offline sale had the subsidy)")
    REVIEW = "review", _("needs review (not charged)")


class OfflineSale(models.Model):
    """A sale a counter recorded while offline, as it arrived when the counter synced, and
    how the server resolved it. One row per client-generated id: a retried or reordered
    batch finds its row and is answered from it."""

    terminal = models.ForeignKey(
        "canteens.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(_("client id"), max_length=64)
    receipt_no = models.CharField(_("terminal receipt number"), max_length=40)
    device_time = models.DateTimeField(_("device time"))
    business_date = models.DateField(_("business date"))
    session = models.CharField(_("meal session"), max_length=10, choices=SESSION_CHOICES)
    payload = models.JSONField(_("as recorded"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=OfflineOutcome.choices)
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    reason = models.CharField(_("explanation"), max_length=200, blank=True)
    meal = models.ForeignKey(
        Meal, null=True, blank=True, on_delete=models.PROTECT, related_name="offline_sales"
    )
    synced_at = models.DateTimeField(_("synced at"))
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("offline sale")
        verbose_name_plural = _("offline sales")
        ordering = ["-device_time"]
        constraints = [
            models.UniqueConstraint(fields=["terminal", "client_id"], name="offline_sale_once"),
            models.CheckConstraint(
                condition=Q(outcome="review") | Q(meal__isnull=False),
                name="offline_sale_posted_has_meal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_no} ({self.get_outcome_display()})"
