from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core import clock


class AccountKind(models.TextChoices):
    # An elder's purses: balances kept on the row and never below zero.
    ELDER_OWN = "elder_own", _("own money")
    ELDER_SUBSIDY = "elder_subsidy", _("government subsidy purse")
    ELDER_CHARITY = "elder_charity", _("charity allowance")
    # Counterparties: balances are the sum of their entries (no hot row to lock).
    CANTEEN_RECEIVABLE = "canteen_receivable", _("canteen receivable")
    CANTEEN_DISCOUNT = "canteen_discount", _("canteen's own discount")
    DISTRICT_FUND = "district_fund", _("district subsidy fund")
    CITY_FUND = "city_fund", _("city subsidy fund")
    CHARITY_FUND = "charity_fund", _("charity fund")
    DONATION_FUND = "donation_fund", _("donor's fund")
    DONATIONS_RECEIVED = "donations_received", _("donations received")
    TOPUP_CLEARING = "topup_clearing", _("top-up money received")
    # Owned by the app that keeps the owner (a care service provider's account is linked
    # from the provider), so the ledger needs no key to every kind of payee.
    PROVIDER_RECEIVABLE = "provider_receivable", _("service provider receivable")


PURSE_KINDS = (AccountKind.ELDER_OWN, AccountKind.ELDER_SUBSIDY, AccountKind.ELDER_CHARITY)
# Accounts whose balance is kept on the row and may never go below zero.
STORED_KINDS = (*PURSE_KINDS, AccountKind.DONATION_FUND)


class Account(models.Model):
    """A purse or a counterparty. A purse's row changes on every sale: on PostgreSQL the
    table leaves a fifth of each page free (migration 0004), and no index covers the balance,
    so the update stays on the row's page and writes no index."""

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    # Each owner's account is found through its unique (owner, kind) index below; a second
    # index per owner would only be one more to write when a purse's row moves.
    elder = models.ForeignKey(
        "elders.Elder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,
    )
    canteen = models.ForeignKey(
        "canteens.Canteen",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    region = models.ForeignKey(
        "geo.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    fund = models.ForeignKey(
        "charity.CharityFund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Kept up to date only for purses (the non-negative guarantee needs it on the row).
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in STORED_KINDS]) | Q(balance_fen__gte=0),
                name="account_purse_never_negative",
            ),
            models.UniqueConstraint(
                fields=["elder", "kind"], condition=Q(elder__isnull=False), name="account_elder"
            ),
            models.UniqueConstraint(
                fields=["canteen", "kind"],
                condition=Q(canteen__isnull=False),
                name="account_canteen",
            ),
            models.UniqueConstraint(
                fields=["region", "kind"], condition=Q(region__isnull=False), name="account_region"
            ),
            models.UniqueConstraint(
                fields=["fund", "kind"], condition=Q(fund__isnull=False), name="account_fund"
            ),
        ]

    def __str__(self) -> str:
        owner = self.elder_id or self.canteen_id or self.region_id or self.fund_id or ""
        return f"{self.get_kind_display()} {owner}"

    @property
    def is_purse(self) -> bool:
        return self.kind in PURSE_KINDS

    @property
    def keeps_balance(self) -> bool:
        return self.kind in STORED_KINDS


class JournalKind(models.TextChoices):
    MEAL = "meal", _("meal")
    VOID = "void", _("void")
    REFUND = "refund", _("refund")
    TOPUP = "topup", _("top-up")
    DONATION = "donation", _("donation")
    ALLOCATION = "allocation", _("allocation")
    CORRECTION = "correction", _("correction")
    SERVICE = "service", _("care service")
    CONSTRUCTION = "construction", _("canteen construction subsidy")
    OPERATING = "operating", _("canteen operating subsidy")


class AppendOnly(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise RuntimeError("ledger rows are append-only; post a correction instead")

    def delete(self) -> NoReturn:
        raise RuntimeError("ledger rows are append-only; post a correction instead")


class Journal(models.Model):
    """One balanced posting: its entries sum to zero."""

    kind = models.CharField(_("kind"), max_length=12, choices=JournalKind.choices)
    business_date = models.DateField(_("business date"), db_index=True)
    # The moment of what it posts (a sale made offline is posted later), by the clock.
    created_at = models.DateTimeField(_("created at"), default=clock.stamp, editable=False)
    memo = models.CharField(_("memo"), max_length=120, blank=True)
    # At most one reversal per journal, held by a partial unique index: a plain unique column
    # would index the NULL of every journal that reverses nothing, that is of every sale.
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = AppendOnly.as_manager()

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        constraints = [
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="journal_reversed_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Entry(models.Model):
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    objects = AppendOnly.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="entry_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen}"
