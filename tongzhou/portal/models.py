from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.access.actors import ElderDelegate


class GrantKind(models.TextChoices):
    SELF = "self", _("the elder")
    FAMILY = "family", _("family member")


class AccessGrant(models.Model):
    """Who may open an elder's page: the elder, or a family member linked by the community
    worker (or by the elder). No password: they sign in with one-time codes."""

    elder = models.ForeignKey(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="grants"
    )
    kind = models.CharField(_("who"), max_length=10, choices=GrantKind.choices)
    holder_name = models.CharField(_("name"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("page access")
        verbose_name_plural = _("page access")

    def __str__(self) -> str:
        return f"{self.holder_name} → {self.elder_id}"

    def as_delegate(self) -> ElderDelegate:
        """The grant's holder as an actor for the elder's page (a live grant only)."""
        assert self.revoked_at is None, "a revoked grant acts for nobody"
        return ElderDelegate(
            self.pk, self.elder_id, f"{self.get_kind_display()}·{self.holder_name}"
        )


class SignInCode(models.Model):
    """A one-time code (and link) for a grant: stored hashed, single use, expiring."""

    grant = models.ForeignKey(AccessGrant, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(used_at__lte=models.F("expires_at")),
                name="sign_in_code_used_before_expiry",
            )
        ]

    def __str__(self) -> str:
        return f"code for grant {self.grant_id}"
