from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.access.roles import CANTEEN_ROLES, REGION_ROLES, Role


class User(AbstractUser):
    """A person who signs in. One role, bound to one region or one canteen."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    canteen = models.ForeignKey(
        "canteens.Canteen",
        verbose_name=_("canteen"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    full_name = models.CharField(_("full name"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    role__in=sorted(r.value for r in REGION_ROLES),
                    region__isnull=False,
                    canteen__isnull=True,
                )
                | Q(
                    role__in=sorted(r.value for r in CANTEEN_ROLES),
                    canteen__isnull=False,
                    region__isnull=True,
                )
                | Q(role="", region__isnull=True, canteen__isnull=True),
                name="user_role_bound_to_region_or_canteen",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
