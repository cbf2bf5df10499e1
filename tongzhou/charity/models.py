from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CharityFund(models.Model):
    """Money a donor gives for elders' meals ("食堂+慈善"), optionally earmarked for a place
    (a village, town or district) and/or a category. It is allocated to the charity
    allowance purses of the elders it is meant for, and can never be overspent."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    donor = models.CharField(_("donor"), max_length=80)
    earmark_region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("only for elders living in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    earmark_category = models.ForeignKey(
        "elders.Category",
        verbose_name=_("only for elders in the category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("charity fund")
        verbose_name_plural = _("charity funds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
