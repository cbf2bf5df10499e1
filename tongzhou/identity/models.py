from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core import clock


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    LOST = "lost", _("reported lost")
    REPLACED = "replaced", _("replaced")


class Card(models.Model):
    """A citizen / social-security card bound to an elder. The number is an identifier like
    an ID number: kept as a keyed hash for lookup and a masked copy for display."""

    elder = models.ForeignKey(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="cards"
    )
    number_hash = models.CharField(_("card number hash"), max_length=64, unique=True)
    number_masked = models.CharField(_("card number"), max_length=32)
    # The number encrypted, so that its lookup hash and offline verifier can be rewritten when
    # their keys rotate; empty for cards issued before, until their next use at a counter.
    number_encrypted = models.TextField(_("card number (encrypted)"), blank=True, default="")
    # A slow hash of the number for counters selling offline (identity/offline.py); filled
    # when the card is issued, or at its first online use for cards issued before (or whose
    # verifier a key rotation cleared).
    offline_verifier = models.CharField(_("offline verifier"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.UniqueConstraint(
                fields=["elder"], condition=Q(status="active"), name="card_one_active_per_elder"
            ),
            models.CheckConstraint(
                condition=Q(status="active", blocked_at__isnull=True)
                | (~Q(status="active") & Q(blocked_at__isnull=False)),
                name="card_blocked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number_masked


class QrIdentity(models.Model):
    """An elder's QR identity: a random public token (never the database id), the version of
    the key that signs rotating codes, and the version of the printed code card (0: none)."""

    elder = models.OneToOneField(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="qr"
    )
    token = models.CharField(_("QR token"), max_length=9, unique=True)
    key_version = models.PositiveIntegerField(_("key version"), default=1)
    printed_version = models.PositiveIntegerField(_("printed card version"), default=0)
    printed_active = models.BooleanField(_("printed card in use"), default=False)
    printed_verifier = models.CharField(
        _("printed card offline verifier"), max_length=32, blank=True
    )

    class Meta:
        verbose_name = _("QR identity")
        verbose_name_plural = _("QR identities")

    def __str__(self) -> str:
        return self.token


class QrUse(models.Model):
    """A rotating code is accepted once, at any canteen: (elder, time step) is unique."""

    # Written with every QR sale: the unique (elder, step) index serves lookups by elder too.
    elder = models.ForeignKey(
        "elders.Elder", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    step = models.BigIntegerField()
    used_at = models.DateTimeField(default=clock.stamp, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["elder", "step"], name="qr_code_used_once")]

    def __str__(self) -> str:
        return f"{self.elder_id}@{self.step}"


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("signed form")
    WITNESSED = "witnessed", _("spoken, witnessed by staff")
    GUARDIAN = "guardian", _("by the guardian")


class FaceEnrolment(models.Model):
    """Biometric data is sensitive personal information (PIPL): enrolment only with recorded
    consent; the embedding (and the photo, only if consented) is encrypted; withdrawing consent
    deletes both."""

    elder = models.OneToOneField(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.CASCADE, related_name="face"
    )
    embedding_encrypted = models.BinaryField(_("embedding (encrypted)"))
    photo_encrypted = models.BinaryField(_("photo (encrypted)"), null=True, blank=True)
    consent_method = models.CharField(
        _("consent given by"), max_length=12, choices=ConsentMethod.choices
    )
    consent_recorded_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("consent recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent_at = models.DateTimeField(_("consent recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("face enrolment")
        verbose_name_plural = _("face enrolments")

    def __str__(self) -> str:
        return f"face of {self.elder_id}"


class FaceConfirmation(models.Model):
    """A cashier-confirmed face match is good for one sale: its nonce is used once."""

    nonce = models.CharField(max_length=32, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.nonce
