"""The basic elderly-care service list (groups of elders, service items, versions), the
entitlements it gives each elder, the purses that hold what is left of them, the providers
and carers who serve, and the service orders recorded at the door."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.core.names import shown_name


class Provenance(models.TextChoices):
    OFFICIAL = "official", _("official list")
    BUREAU = "bureau", _("the bureau's own list")
    DEFAULT = "default", _("shipped default, for the bureau to replace")


class ServiceListVersion(models.Model):
    """One version of the list. A version never changes once in force: a change is a new
    version from a future date, and every entitlement and order keeps the version it used."""

    name = models.CharField(_("name"), max_length=80)
    valid_from = models.DateField(_("in force from"), unique=True)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.BUREAU
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("service list version")
        verbose_name_plural = _("service list versions")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%Y-%m-%d})"


class IslandTier(models.TextChoices):
    MAIN = "main", _("main island or bridge-linked")
    OUTER_TOWN = "outer_town", _("outer island with a town")
    SMALL = "small", _("small island without a town")


class ServiceGroup(models.Model):
    """A group of elders, as a rule over their attributes. Every condition that is set must
    hold; within `categories` and `living` any one is enough (both describe who the elder
    is, so either list may match)."""

    version = models.ForeignKey(ServiceListVersion, on_delete=models.CASCADE, related_name="groups")
    code = models.CharField(_("code"), max_length=12)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("up to age"), null=True, blank=True)
    categories = models.JSONField(_("categories (any)"), default=list, blank=True)
    living = models.JSONField(_("living arrangements (any)"), default=list, blank=True)
    min_assessment_level = models.PositiveSmallIntegerField(
        _("assessment level at least"), null=True, blank=True
    )
    island_tiers = models.JSONField(_("island tiers (any)"), default=list, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["version", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="care_group_code_unique"),
            models.CheckConstraint(
                condition=Q(max_age__isnull=True)
                | Q(min_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="care_group_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def display_name(self) -> str:
        """The name in the page's language (the English one where it is given)."""
        return shown_name(self.name_zh, self.name_en)


class ServiceCategory(models.TextChoices):
    MATERIAL = "material", _("material help (物质帮助)")
    CARE = "care", _("care services (照护服务)")
    CARING = "caring", _("caring services (关爱服务)")


class ServiceKind(models.TextChoices):
    ALLOWANCE = "allowance", _("allowance")
    MEALS = "meals", _("meal assistance")
    CLEANING = "cleaning", _("home cleaning")
    BATHING = "bathing", _("bathing")
    MEDICAL = "medical", _("medical help")
    MOBILITY = "mobility", _("help getting about")
    VISIT = "visit", _("caring visits")
    NURSING = "nursing", _("rehabilitation and nursing")
    EMERGENCY = "emergency", _("emergency call")
    HOME_BED = "home_bed", _("family care bed")
    RESPITE = "respite", _("respite care")
    ADAPTATION = "adaptation", _("home adaptation")
    COMPANIONSHIP = "companionship", _("emotional support")
    LEGAL = "legal", _("legal aid")
    HEALTH = "health", _("health checks")
    DAY_CARE = "day_care", _("day care")
    PERSONAL = "personal", _("personal care")
    OTHER = "other", _("other")


class Period(models.TextChoices):
    MONTH = "month", _("a month")
    QUARTER = "quarter", _("a quarter")
    YEAR = "year", _("a year")
    ONCE = "once", _("once")


class Delivery(models.TextChoices):
    HOME = "home", _("at home")
    STATION = "station", _("at a station")
    MOBILE = "mobile", _("by a mobile station")
    ONLINE = "online", _("by phone or online")
    PAYMENT = "payment", _("paid out")


# Kinds of item served at the door or a station: these are ordered, recorded and settled.
ORDERED_DELIVERIES = (Delivery.HOME, Delivery.STATION, Delivery.MOBILE)


class ServiceItem(models.Model):
    version = models.ForeignKey(ServiceListVersion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=12)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    category = models.CharField(_("category"), max_length=10, choices=ServiceCategory.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    quantity = models.PositiveIntegerField(_("quantity per period"))
    unit = models.CharField(_("unit"), max_length=6, help_text=_("次, 小时, 元, 天 …"))
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    min_age = models.PositiveSmallIntegerField(_("only from age"), null=True, blank=True)
    # Who pays which share of the price, in basis points (10,000 = all of it).
    government_bp = models.PositiveIntegerField(_("government share (bp)"), default=10_000)
    charity_bp = models.PositiveIntegerField(_("charity share (bp)"), default=0)
    elder_bp = models.PositiveIntegerField(_("elder's share (bp)"), default=0)
    unit_price_fen = models.PositiveIntegerField(_("price per unit (fen)"), default=0)
    min_minutes = models.PositiveSmallIntegerField(
        _("minimum minutes at the door per unit"), default=0
    )
    delivery = models.CharField(_("delivered"), max_length=8, choices=Delivery.choices)
    outer_delivery = models.CharField(
        _("delivered on outer islands"), max_length=8, choices=Delivery.choices, blank=True
    )
    small_delivery = models.CharField(
        _("delivered on small islands"), max_length=8, choices=Delivery.choices, blank=True
    )
    small_quantity = models.PositiveIntegerField(
        _("quantity on small islands"), null=True, blank=True
    )
    groups = models.ManyToManyField(ServiceGroup, related_name="items", verbose_name=_("groups"))
    department = models.CharField(_("lead department"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["version", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="care_item_code_unique"),
            models.CheckConstraint(
                condition=Q(government_bp__lte=10_000, charity_bp__lte=10_000, elder_bp__lte=10_000)
                & Q(government_bp=10_000 - F("charity_bp") - F("elder_bp")),
                name="care_item_shares_whole",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="care_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def display_name(self) -> str:
        """The name in the page's language (the English one where it is given)."""
        return shown_name(self.name_zh, self.name_en)

    def delivery_on(self, tier: str) -> str:
        if tier == IslandTier.SMALL and self.small_delivery:
            return self.small_delivery
        if tier in (IslandTier.SMALL, IslandTier.OUTER_TOWN) and self.outer_delivery:
            return self.outer_delivery
        return self.delivery

    def quantity_on(self, tier: str) -> int:
        if tier == IslandTier.SMALL and self.small_quantity:
            return self.small_quantity
        return self.quantity


class Entitlement(models.Model):
    """What an elder is entitled to, from when, and why. Recomputed from the elder's dated
    facts: a change closes the row the day before and opens a new one, so history stays."""

    elder = models.ForeignKey(
        "elders.Elder", on_delete=models.CASCADE, related_name="care_entitlements"
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="entitlements")
    item_code = models.CharField(_("item code"), max_length=12)
    quantity = models.PositiveIntegerField(_("quantity per period"))
    delivery = models.CharField(_("delivered"), max_length=8, choices=Delivery.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    # [{"group": code, "name": name_zh, "since": "YYYY-MM-DD", "why": "80周岁以上 …"}]
    reasons = models.JSONField(_("why"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["elder", "item__sort_order", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "item_code"],
                condition=Q(valid_to__isnull=True),
                name="care_entitlement_one_open",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="care_entitlement_range",
            ),
        ]
        indexes = [models.Index(fields=["item_code", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.item_code}"


class EntitlementPurse(models.Model):
    """What is left of an entitlement in one period (202612, 2026Q4, 2026, or ONCE): granted
    when first drawn on, drawn by orders, given back by cancellations; never below zero."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    item_code = models.CharField(_("item code"), max_length=12)
    period_id = models.CharField(_("period"), max_length=8)
    granted = models.PositiveIntegerField(_("granted"))
    used = models.PositiveIntegerField(_("used"), default=0)

    class Meta:
        verbose_name = _("entitlement purse")
        verbose_name_plural = _("entitlement purses")
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "item_code", "period_id"], name="care_purse_unique"
            ),
            models.CheckConstraint(condition=Q(used__lte=F("granted")), name="care_purse_not_over"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.item_code} {self.period_id}"

    @property
    def left(self) -> int:
        return self.granted - self.used


class Provider(models.Model):
    class Kind(models.TextChoices):
        SOCIAL = "social", _("social organisation")
        ENTERPRISE = "enterprise", _("enterprise")
        INSTITUTION = "institution", _("care institution")
        COMMUNITY = "community", _("village or community")

    name = models.CharField(_("name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("serves"), on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    kinds_served = models.JSONField(_("kinds of service"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # What the funds owe it for approved records, in the ledger (opened on its first record).
    account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CertificateLevel(models.TextChoices):
    NONE = "", _("no certificate")
    JUNIOR = "junior", _("junior (初级)")
    MIDDLE = "middle", _("intermediate (中级)")
    SENIOR = "senior", _("senior (高级)")
    TECHNICIAN = "technician", _("technician (技师)")


class Carer(models.Model):
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("service provider"),
        on_delete=models.PROTECT,
        related_name="carers",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sign-in account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carer",
    )
    name = models.CharField(_("name"), max_length=40)
    certificate_level = models.CharField(
        _("certificate level"), max_length=12, choices=CertificateLevel.choices, blank=True
    )
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)
    certificate_issued = models.DateField(_("certificate issued"), null=True, blank=True)
    certificate_expires = models.DateField(_("certificate expires"), null=True, blank=True)
    in_post_since = models.DateField(_("in a care post since"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carer")
        verbose_name_plural = _("carers")
        ordering = ["provider", "name"]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("waiting for dispatch")
    DISPATCHED = "dispatched", _("dispatched to the provider")
    ACCEPTED = "accepted", _("accepted and scheduled")
    IN_SERVICE = "in_service", _("being served")
    REVIEW = "review", _("sent to review")
    APPROVED = "approved", _("done and approved")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


OPEN_ORDER_STATUSES = (
    OrderStatus.REQUESTED,
    OrderStatus.DISPATCHED,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_SERVICE,
)


class OrderSource(models.TextChoices):
    ENTITLEMENT = "entitlement", _("from an entitlement")
    REQUEST = "request", _("requested")


class ServiceOrder(models.Model):
    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="orders")
    purse = models.ForeignKey(
        EntitlementPurse, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    source = models.CharField(_("source"), max_length=12, choices=OrderSource.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    carer = models.ForeignKey(
        Carer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    window_start = models.DateTimeField(_("from"), null=True, blank=True)
    window_end = models.DateTimeField(_("until"), null=True, blank=True)
    # Price and shares as they stood when ordered.
    price_fen = models.PositiveIntegerField(_("price (fen)"), default=0)
    government_fen = models.PositiveIntegerField(_("government pays (fen)"), default=0)
    charity_fen = models.PositiveIntegerField(_("charity pays (fen)"), default=0)
    elder_fen = models.PositiveIntegerField(_("elder pays (fen)"), default=0)
    # The door, the fence round it and the time the service takes, fixed when accepted.
    door_lon = models.FloatField(null=True, blank=True)
    door_lat = models.FloatField(null=True, blank=True)
    fence_m = models.PositiveIntegerField(_("geofence (m)"), default=0)
    min_minutes = models.PositiveIntegerField(_("minimum minutes"), default=0)
    check_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    check_in_device_at = models.DateTimeField(null=True, blank=True)
    check_in_lon = models.FloatField(null=True, blank=True)
    check_in_lat = models.FloatField(null=True, blank=True)
    check_in_accuracy_m = models.FloatField(null=True, blank=True)
    check_in_distance_m = models.FloatField(_("distance at check-in (m)"), null=True, blank=True)
    check_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    check_out_device_at = models.DateTimeField(null=True, blank=True)
    check_out_lon = models.FloatField(null=True, blank=True)
    check_out_lat = models.FloatField(null=True, blank=True)
    check_out_accuracy_m = models.FloatField(null=True, blank=True)
    check_out_distance_m = models.FloatField(_("distance at check-out (m)"), null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to="care/%Y/%m/", blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    confirmed_by = models.CharField(_("confirmed by"), max_length=8, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    review_reasons = models.JSONField(_("why reviewed"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    callback_note = models.CharField(_("callback note"), max_length=200, blank=True)
    # The provider's monthly statement the record is settled in (once, and for good).
    statement = models.ForeignKey(
        "ProviderStatement",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="orders",
    )

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "window_start"]),
            models.Index(fields=["carer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="care_order_quantity"),
            models.CheckConstraint(
                condition=Q(price_fen=F("government_fen") + F("charity_fen") + F("elder_fen")),
                name="care_order_shares_sum",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__range=(1, 5)),
                name="care_order_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "in_service", "review", "approved"])
                | Q(carer__isnull=False),
                name="care_order_served_by_carer",
            ),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_in_at__isnull=False),
                name="care_order_out_after_in",
            ),
            models.CheckConstraint(
                condition=Q(status="approved") | Q(statement__isnull=True),
                name="care_order_settled_only_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.item_id}"


class StatementStatus(models.TextChoices):
    CLOSED = "closed", _("closed by the district: records fixed")
    APPROVED = "approved", _("approved by the city")
    PAID = "paid", _("paid")


class ProviderStatement(models.Model):
    """A provider's month: the approved records not yet settled, dated up to the month's end,
    fixed in it when the district closes it (an earlier month's record approved late comes in
    as an adjustment); the city approves it and records the payment. Its totals never
    change once closed."""

    period = models.ForeignKey(
        "settlement.SettlementPeriod", on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("service provider"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.CLOSED
    )
    totals = models.JSONField(_("totals"), default=dict)
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    # The funds' shares owed to the provider, posted in the ledger when the city approves.
    journal = models.OneToOneField(
        "ledger.Journal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("provider statement")
        verbose_name_plural = _("provider statements")
        ordering = ["-period__starts_on", "provider__name"]
        constraints = [
            models.UniqueConstraint(fields=["period", "provider"], name="care_statement_once"),
            models.CheckConstraint(
                condition=Q(status="closed") | Q(approved_at__isnull=False),
                name="care_statement_approved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_at__isnull=False) & ~Q(payment_reference="")),
                name="care_statement_paid_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.period}"
