from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.subsidies.calculator import Mode


class SubsidyPolicy(models.Model):
    """One version of the meal-subsidy policy for the city or a district (which overrides the
    city's). A version never changes once it is in force; a change is a new version with a
    future start date, and every meal keeps the version it used."""

    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="subsidy_policies",
        limit_choices_to={"level__in": ["city", "district"]},
    )
    name = models.CharField(_("name"), max_length=80)
    effective_from = models.DateField(_("effective from"))
    min_spend_fen = models.PositiveIntegerField(_("minimum spend (fen)"), default=0)
    monthly_cap_meals = models.PositiveIntegerField(
        _("subsidised meals per month (cap)"), null=True, blank=True
    )
    delivery_fee_fen = models.PositiveIntegerField(_("delivery fee (fen)"), default=0)
    delivery_subsidy_fen = models.PositiveIntegerField(_("delivery fee subsidy (fen)"), default=0)
    # Who may have meals delivered: members of these categories, or elders of at least this
    # age who live alone (高龄独居).
    delivery_categories = models.JSONField(
        _("delivery for categories"), default=list, blank=True, help_text=_("category codes")
    )
    delivery_min_age_alone = models.PositiveSmallIntegerField(
        _("delivery from this age when living alone"), null=True, blank=True
    )
    # Paid to the canteen by the district fund at settlement, per elder served per day.
    operating_fen_per_elder_day = models.PositiveIntegerField(
        _("operating subsidy per elder per day (fen)"), default=0
    )
    # What one sale may hold: a counter asking the funds for more is refused, whatever it
    # sends (a sale near these totals is looked at by the anomaly queue).
    max_lines = models.PositiveSmallIntegerField(_("lines per sale (at most)"), default=6)
    max_quantity = models.PositiveSmallIntegerField(_("portions per line (at most)"), default=3)
    max_breakfast_fen = models.PositiveIntegerField(
        _("breakfast total (fen, at most)"), default=2000
    )
    max_lunch_fen = models.PositiveIntegerField(_("lunch total (fen, at most)"), default=5000)
    max_dinner_fen = models.PositiveIntegerField(_("dinner total (fen, at most)"), default=5000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")
        ordering = ["region", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="policy_one_version_per_start"
            ),
            models.CheckConstraint(
                condition=Q(delivery_subsidy_fen__lte=F("delivery_fee_fen")),
                name="policy_delivery_subsidy_within_fee",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_lines__gte=1,
                    max_quantity__gte=1,
                    max_breakfast_fen__gte=1,
                    max_lunch_fen__gte=1,
                    max_dinner_fen__gte=1,
                ),
                name="policy_sale_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"

    def max_total_fen(self, session: str) -> int:
        """The most one sale of this meal session may total."""
        return {"breakfast": self.max_breakfast_fen, "lunch": self.max_lunch_fen,
                "dinner": self.max_dinner_fen}[session]  # fmt: skip


class SubsidyRule(models.Model):
    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="rules"
    )
    label = models.CharField(_("label"), max_length=60)
    age_band = models.CharField(
        _("age band"),
        max_length=8,
        blank=True,
        choices=[("60-69", "60-69"), ("70-79", "70-79"), ("80-89", "80-89"), ("90+", "90+")],
    )
    category = models.ForeignKey(
        "elders.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    session = models.CharField(
        _("meal session"),
        max_length=10,
        blank=True,
        choices=[("breakfast", _("breakfast")), ("lunch", _("lunch")), ("dinner", _("dinner"))],
        help_text=_("Empty: every session."),
    )
    mode = models.CharField(
        _("mode"),
        max_length=12,
        choices=[
            (Mode.ELDER_PAYS.value, _("the elder pays at most")),
            (Mode.SUBSIDY.value, _("subsidy per meal")),
        ],
    )
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    district_bp = models.PositiveIntegerField(_("district fund share (‱)"), default=0)
    city_bp = models.PositiveIntegerField(_("city fund share (‱)"), default=0)
    charity_bp = models.PositiveIntegerField(_("charity fund share (‱)"), default=0)
    canteen_bp = models.PositiveIntegerField(_("canteen discount share (‱)"), default=0)

    class Meta:
        verbose_name = _("subsidy rule")
        verbose_name_plural = _("subsidy rules")
        ordering = ["policy", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    district_bp__gte=0, city_bp__gte=0, charity_bp__gte=0, canteen_bp__gte=0
                )
                & Q(
                    district_bp=10_000 - F("city_bp") - F("charity_bp") - F("canteen_bp"),
                ),
                name="rule_shares_sum_to_whole",
            ),
            models.CheckConstraint(
                condition=~Q(age_band="") | Q(category__isnull=False),
                name="rule_targets_age_or_category",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def shares_bp(self) -> dict[str, int]:
        return {
            "district": self.district_bp,
            "city": self.city_bp,
            "charity": self.charity_bp,
            "canteen": self.canteen_bp,
        }
