from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhou.geo.models import Island, Region


class Operator(models.Model):
    """The organisation that runs one or more canteens (a social organisation, a company, a
    village collective)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, help_text=_("18 characters")
    )
    contact_name = models.CharField(_("contact person"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="operator_credit_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceTag(models.Model):
    """A "助餐+" tag (食堂+服务, 食堂+慈善 …): data, so the bureau can add more."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=60)

    class Meta:
        verbose_name = _("service tag")
        verbose_name_plural = _("service tags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class CanteenKind(models.TextChoices):
    HAPPINESS_CANTEEN = "happiness_canteen", _("happiness canteen (幸福食堂)")
    MEAL_POINT = "meal_point", _("meal point (助餐点)")
    CENTRAL_KITCHEN = "central_kitchen", _("central kitchen (delivery only)")


class CanteenStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    OPEN = "open", _("open")
    SUSPENDED = "suspended", _("suspended")
    CLOSED = "closed", _("closed")


class Canteen(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=CanteenKind.choices)
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="canteens"
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        related_name="canteens",
        limit_choices_to={"level": "village"},
    )
    # Copied from the village when saved through the service, so island queries need no join.
    island = models.ForeignKey(
        Island, verbose_name=_("island"), on_delete=models.PROTECT, related_name="canteens"
    )
    address = models.CharField(_("address"), max_length=120)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    seats = models.PositiveIntegerField(_("seats"), default=0)
    tags = models.ManyToManyField(ServiceTag, verbose_name=_("助餐+ tags"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CanteenStatus.choices, default=CanteenStatus.PLANNED
    )
    opened_on = models.DateField(_("opening date"), null=True, blank=True)
    # 食品经营许可证: a canteen whose licence has lapsed stops selling until it is renewed.
    licence_no = models.CharField(_("food business licence number"), max_length=30, blank=True)
    licence_expires_on = models.DateField(_("licence valid until"), null=True, blank=True)
    # 明厨亮灶: the kitchen camera's live view, for inspectors and families.
    kitchen_camera_url = models.URLField(_("kitchen camera (明厨亮灶) link"), blank=True)
    # Why a canteen is suspended or closed, said to whoever tries to sell or book there.
    status_reason = models.CharField(_("reason for the status"), max_length=200, blank=True)
    # Booking: a meal on day D is booked or cancelled until `booking_cutoff` on D - lead days.
    booking_cutoff = models.TimeField(_("booking cut-off time"), default=dt.time(16, 0))
    booking_lead_days = models.PositiveSmallIntegerField(_("booking days ahead"), default=1)
    standard_meal_fen = models.PositiveIntegerField(
        _("booked meal price (fen)"),
        default=1500,
        help_text=_("Charged for a booked meal delivered to the door."),
    )
    # A counter line is a dish of the day's menu; a typed-in amount only where the canteen
    # allows one, up to this (0: menu dishes only).
    open_amount_max_fen = models.PositiveIntegerField(
        _("typed-in amount per line (fen, at most)"),
        default=0,
        help_text=_("0: the counter sells only dishes of the day's menu."),
    )
    delivers = models.BooleanField(_("delivers meals"), default=False)
    delivery_radius_km = models.FloatField(_("delivery radius (km)"), default=5.0)
    settlement_cycle = models.CharField(
        _("settlement cycle"),
        max_length=10,
        choices=[("monthly", _("monthly")), ("quarterly", _("quarterly"))],
        default="monthly",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canteen")
        verbose_name_plural = _("canteens")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lon__range=(121.0, 123.5), lat__range=(29.3, 31.2)),
                name="canteen_point_in_zhoushan",
            ),
            models.CheckConstraint(
                condition=~Q(kind="central_kitchen") | Q(seats=0),
                name="canteen_central_kitchen_has_no_seats",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(opened_on__isnull=False),
                name="canteen_open_has_opening_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def booking_closes_at(self, day: dt.date) -> dt.datetime:
        """The last moment a meal on `day` can be booked, cancelled or paused here."""
        lead = dt.timedelta(days=self.booking_lead_days)
        return timezone.make_aware(dt.datetime.combine(day - lead, self.booking_cutoff))


class SessionKind(models.TextChoices):
    BREAKFAST = "breakfast", _("breakfast")
    LUNCH = "lunch", _("lunch")
    DINNER = "dinner", _("dinner")


class MealSession(models.Model):
    canteen = models.ForeignKey(
        Canteen, verbose_name=_("canteen"), on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("meal session"), max_length=10, choices=SessionKind.choices)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("meal session")
        verbose_name_plural = _("meal sessions")
        ordering = ["canteen", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "kind"], name="session_one_per_kind"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class TerminalStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    REVOKED = "revoked", _("revoked")


# The secret hash of terminals no device can authenticate as: the rows staff sales and
# delivered meals are recorded on.
UNUSABLE_SECRET = "!"  # noqa: S105


class TerminalQuerySet(models.QuerySet["Terminal"]):
    def devices(self) -> TerminalQuerySet:
        """Counter devices, without the back office's and delivery's own rows."""
        return self.exclude(secret_hash=UNUSABLE_SECRET)


class Terminal(models.Model):
    """A counter device bound to one canteen. Its credential is `tzt_<key_id>_<secret>`;
    only a SHA-256 of the secret is stored (the secret is 256 random bits, so a fast hash is
    safe and keeps authentication cheap on every checkout)."""

    canteen = models.ForeignKey(
        Canteen, verbose_name=_("canteen"), on_delete=models.PROTECT, related_name="terminals"
    )
    name = models.CharField(_("name"), max_length=60)
    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=TerminalStatus.choices, default=TerminalStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("credential issued at"), null=True, blank=True)
    # A terminal renewing its own credential: the one it replaced still works until this time,
    # for the requests already on their way (a stolen credential is rotated or revoked by
    # staff instead, which ends both at once).
    previous_secret_hash = models.CharField(_("previous secret hash"), max_length=64, blank=True)
    previous_valid_until = models.DateTimeField(
        _("previous credential valid until"), null=True, blank=True
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=120, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    objects = TerminalQuerySet.as_manager()

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["canteen", "name"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="terminal_name_per_canteen"),
            models.CheckConstraint(
                condition=Q(status="active", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="terminal_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canteen.name} · {self.name}"


# What a canteen serves: its dishes, and the menu of each day's meal that the counter sells
# from (the sale reads a line's price here).


class Dish(models.Model):
    canteen = models.ForeignKey(
        Canteen,
        verbose_name=_("canteen"),
        on_delete=models.PROTECT,
        related_name="dishes",
    )
    name = models.CharField(_("name"), max_length=40)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    diet_tags = models.CharField(_("diet"), max_length=60, blank=True, help_text=_("低盐, 软食 …"))
    is_active = models.BooleanField(_("on offer"), default=True)

    class Meta:
        verbose_name = _("dish")
        verbose_name_plural = _("dishes")
        ordering = ["canteen", "name"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="dish_name_per_canteen")
        ]

    def __str__(self) -> str:
        return self.name


class Menu(models.Model):
    canteen = models.ForeignKey(
        Canteen,
        verbose_name=_("canteen"),
        on_delete=models.PROTECT,
        related_name="menus",
    )
    date = models.DateField(_("date"))
    session = models.CharField(_("meal session"), max_length=10, choices=SessionKind.choices)

    class Meta:
        verbose_name = _("daily menu")
        verbose_name_plural = _("daily menus")
        ordering = ["-date", "canteen", "session"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "date", "session"], name="menu_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_session_display()}"


class MenuItem(models.Model):
    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="items")
    dish = models.ForeignKey(Dish, verbose_name=_("dish"), on_delete=models.PROTECT)
    price_fen = models.PositiveIntegerField(_("price (fen)"))

    class Meta:
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")
        constraints = [models.UniqueConstraint(fields=["menu", "dish"], name="menu_dish_once")]

    def __str__(self) -> str:
        return f"{self.dish.name} {self.price_fen}"
