"""Booked meals (eat in or delivered), the kitchen's view of them, delivery runs with proof,
and the wellness alerts a missed delivery raises."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.meals.models import SESSION_CHOICES


class Diet(models.TextChoices):
    LOW_SALT = "low_salt", _("low salt (低盐)")
    LOW_SUGAR = "low_sugar", _("low sugar (低糖)")
    SOFT = "soft", _("soft food (软食)")
    LIQUID = "liquid", _("liquid food (流食)")
    HALAL = "halal", _("halal (清真)")


class MealProfile(models.Model):
    """What the kitchen and the courier need to know about an elder: diets, allergies, where
    the door is. Kept apart from the register; the home point is seen only on a route."""

    elder = models.OneToOneField(
        "elders.Elder",
        verbose_name=_("elder"),
        on_delete=models.CASCADE,
        related_name="meal_profile",
    )
    diets = models.JSONField(_("diets"), default=list, blank=True)
    allergies = models.CharField(_("allergies"), max_length=120, blank=True)
    home_lon = models.FloatField(_("home longitude"), null=True, blank=True)
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True)
    door_note = models.CharField(_("note for the courier"), max_length=120, blank=True)
    # Whom the courier calls when nobody answers: a relative or neighbour, phone encrypted.
    contact_name = models.CharField(_("family contact"), max_length=40, blank=True)
    contact_phone_encrypted = models.TextField(_("contact phone (encrypted)"), blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("meal profile")
        verbose_name_plural = _("meal profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(home_lon__isnull=True, home_lat__isnull=True)
                | Q(home_lon__range=(121.0, 123.5), home_lat__range=(29.3, 31.2)),
                name="meal_profile_home_in_zhoushan",
            )
        ]

    def __str__(self) -> str:
        return str(self.elder)


class BookingMode(models.TextChoices):
    EAT_IN = "eat_in", _("eat in")
    DELIVERY = "delivery", _("home delivery")


WEEKDAY_DIGITS = "1234567"  # Monday = 1, as in ISO 8601
WEEKDAY_LABELS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


class BookingPlan(models.Model):
    """A standing booking (e.g. weekday lunches) from a date, until ended; pauses skip days."""

    elder = models.ForeignKey(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="plans"
    )
    canteen = models.ForeignKey(
        "canteens.Canteen", verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="+"
    )
    session = models.CharField(_("meal session"), max_length=10, choices=SESSION_CHOICES)
    mode = models.CharField(_("how"), max_length=10, choices=BookingMode.choices)
    weekdays = models.CharField(
        _("weekdays"), max_length=7, help_text=_("Digits, Monday = 1: 12345 for weekdays.")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    booked_by = models.CharField(_("booked by"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("standing booking")
        verbose_name_plural = _("standing bookings")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="plan_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(weekdays__regex=r"^[1-7]{1,7}$"), name="plan_weekdays_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.canteen} · {self.get_session_display()}"

    @property
    def weekdays_label(self) -> str:
        """12345 → Mon–Fri in words: every day, weekdays, or the days one by one."""
        if self.weekdays == WEEKDAY_DIGITS:
            return str(_("every day"))
        if self.weekdays == "12345":
            return str(_("Monday to Friday"))
        return "、".join(str(WEEKDAY_LABELS[int(d) - 1]) for d in self.weekdays)

    def runs_on(self, day: dt.date) -> bool:
        """Whether the plan gives a meal that day, pauses aside (selectors.plans_on is the
        same rule in SQL)."""
        in_range = self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
        return in_range and str(day.isoweekday()) in self.weekdays

    def paused_on(self, day: dt.date) -> bool:
        return any(pause.starts_on <= day <= pause.ends_on for pause in self.pauses.all())

    def booking_on(self, day: dt.date) -> Booking:
        """The plan's day as a row of its own (unsaved): made when the day is cancelled, or
        at the cut-off for the route and the proof."""
        return Booking(
            elder_id=self.elder_id,
            canteen_id=self.canteen_id,
            date=day,
            session=self.session,
            mode=self.mode,
            plan=self,
            booked_by=self.booked_by,
        )


class BookingPause(models.Model):
    """Days a plan does not run (a hospital stay); it resumes by itself after `ends_on`."""

    plan = models.ForeignKey(BookingPlan, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField(_("paused from"))
    ends_on = models.DateField(_("paused until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="pause_valid_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} – {self.ends_on}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CANCELLED = "cancelled", _("cancelled")
    DELIVERED = "delivered", _("delivered")
    NOT_DELIVERED = "not_delivered", _("nobody answered")


class DeliveryRun(models.Model):
    """One courier's round for a canteen, day and session, in the computed order."""

    canteen = models.ForeignKey(
        "canteens.Canteen", verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    session = models.CharField(_("meal session"), max_length=10, choices=SESSION_CHOICES)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("courier"),
        on_delete=models.PROTECT,
        related_name="delivery_runs",
    )
    distance_m = models.PositiveIntegerField(_("route length (m)"), default=0)
    computed_at = models.DateTimeField(_("route computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery run")
        verbose_name_plural = _("delivery runs")
        ordering = ["-date", "canteen", "session"]
        constraints = [
            models.UniqueConstraint(
                fields=["canteen", "date", "session", "courier"], name="run_per_courier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_session_display()} · {self.courier}"

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000


class BookingManager(models.Manager["Booking"]):
    def get_queryset(self) -> models.QuerySet[Booking]:
        # The proof photo (tens of kilobytes, encrypted) is read only where it is asked for:
        # a round's page lists hundreds of stops, and loading every photo with them took the
        # server's memory from 0.35 to 1.2 GB under a lunch's load.
        return super().get_queryset().defer("proof_photo_encrypted")


class Booking(models.Model):
    """One elder's meal on one day and session: booked once (directly or by a plan), at one
    canteen. A plan's day becomes a row when it is cancelled, or at the cut-off."""

    elder = models.ForeignKey(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="bookings"
    )
    canteen = models.ForeignKey(
        "canteens.Canteen",
        verbose_name=_("canteen"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    date = models.DateField(_("date"))
    session = models.CharField(_("meal session"), max_length=10, choices=SESSION_CHOICES)
    mode = models.CharField(_("how"), max_length=10, choices=BookingMode.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    plan = models.ForeignKey(
        BookingPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    booked_by = models.CharField(_("booked by"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    run = models.ForeignKey(
        DeliveryRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="stops"
    )
    stop_order = models.PositiveSmallIntegerField(_("stop"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proof_photo_encrypted = models.BinaryField(_("photo (encrypted)"), null=True, blank=True)
    meal = models.OneToOneField(
        "meals.Meal", null=True, blank=True, on_delete=models.PROTECT, related_name="booking"
    )

    objects = BookingManager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["date", "session", "canteen", "elder"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "date", "session"], name="booking_once_per_session"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="booking_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["delivered", "not_delivered"])
                | (Q(mode="delivery") & Q(delivered_at__isnull=False)),
                name="booking_outcome_only_for_delivery",
            ),
        ]
        indexes = [models.Index(fields=["canteen", "date", "session", "status"])]

    def __str__(self) -> str:
        return f"{self.elder} · {self.date} {self.get_session_display()}"


class AlertOutcome(models.TextChoices):
    WELL = "well", _("found well (was out)")
    HOSPITAL = "hospital", _("in hospital")
    WITH_FAMILY = "with_family", _("staying with family")
    EMERGENCY = "emergency", _("needed help: emergency services called")
    DECEASED = "deceased", _("passed away")
    OTHER = "other", _("other")


class WellnessAlert(models.Model):
    """Raised when nobody answered the door; the village's community worker closes it."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="alert")
    elder = models.ForeignKey(
        "elders.Elder", verbose_name=_("elder"), on_delete=models.PROTECT, related_name="alerts"
    )
    village = models.ForeignKey(
        "geo.Region", verbose_name=_("village / community"), on_delete=models.PROTECT
    )
    raised_at = models.DateTimeField(_("raised at"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=AlertOutcome.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("wellness alert")
        verbose_name_plural = _("wellness alerts")
        ordering = ["closed_at", "-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, outcome="")
                | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="alert_closed_with_outcome",
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.raised_at:%Y-%m-%d}"
