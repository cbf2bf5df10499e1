from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Throttle(models.Model):
    """Failed attempts under one key (a client, a terminal, a QR token) in the current
    window, and until when the key is locked out."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    window_started_at = models.DateTimeField(_("window started at"))
    failures = models.PositiveIntegerField(_("failures in the window"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt limit")
        verbose_name_plural = _("attempt limits")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
