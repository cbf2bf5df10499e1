"""Proactive discovery (主动发现): rules as data over the platform's own signals, and the
cases they put in the village worker's queue, each closed with an outcome by a person.
Nothing is granted automatically."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core.names import shown_name


class Signal(models.TextChoices):
    NO_MEAL = "no_meal", _("a regular diner stopped coming")
    MISSED_VISITS = "missed_visits", _("caring visits missed")
    OPEN_ALERT = "open_alert", _("a wellness alert left open")
    ALONE_UNSERVED = "alone_unserved", _("old, alone and using no service")
    CATEGORY_EXPIRING = "category_expiring", _("a hardship category about to expire")
    ENTITLED_AFTER_DEATH = "entitled_after_death", _("entitlements after a recorded death")
    PURSE_LOW = "purse_low", _("own money running out")
    NO_ANSWER = "no_answer", _("nobody answered at delivery, again")


class Severity(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class DiscoveryRule(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    signal = models.CharField(_("signal"), max_length=24, choices=Signal.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    provenance = models.CharField(_("provenance"), max_length=10, default="default")
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("discovery rule")
        verbose_name_plural = _("discovery rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def display_name(self) -> str:
        """The name in the page's language (the English one where it is given)."""
        return shown_name(self.name_zh, self.name_en)


class Outcome(models.TextChoices):
    ASSISTANCE = "assistance", _("assistance applied for")
    SERVICE = "service", _("service arranged")
    REFERRED = "referred", _("referred to another department")
    NOT_NEEDED = "not_needed", _("checked: nothing needed")
    FALSE_POSITIVE = "false_positive", _("wrong signal")


class DiscoveryCase(models.Model):
    """One rule's hit on one elder: open until a worker records what was done. A rule finds
    an elder again only once the earlier case is closed."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DiscoveryRule, on_delete=models.PROTECT, related_name="cases")
    found_on = models.DateField(_("found on"), db_index=True)
    evidence = models.JSONField(_("evidence"), default=list)  # [[label, value], …]
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("discovery case")
        verbose_name_plural = _("discovery cases")
        ordering = ["found_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "rule"],
                condition=Q(reviewed_at__isnull=True),
                name="discovery_one_open_case",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | ~Q(outcome=""),
                name="discovery_closed_with_outcome",
            ),
        ]
        indexes = [models.Index(fields=["village", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.elder_id}"
