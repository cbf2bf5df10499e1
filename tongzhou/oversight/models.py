"""A canteen's governed life: the application that brings it in (事前), its kitchen's daily
records, inspections and the elders' ratings (事中), its evaluation and stars (事后), and the
food-safety trace when something goes wrong."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongzhou.canteens.models import Canteen, CanteenKind, Dish, SessionKind
from tongzhou.core import clock

# --- 事前: the application ------------------------------------------------------------------


class OperatorKind(models.TextChoices):
    VILLAGE = "village", _("village or community collective")
    SOCIAL = "social", _("social organisation")
    ENTERPRISE = "enterprise", _("enterprise")
    INSTITUTION = "institution", _("care institution")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("being prepared")
    SUBMITTED = "submitted", _("waiting for the town's review")
    TOWN_PASSED = "town_passed", _("waiting for the district's inspection")
    ACCEPTED = "accepted", _("accepted: waiting for the city's record")
    RECORDED = "recorded", _("recorded by the city")
    RETURNED = "returned", _("sent back")


class Application(models.Model):
    """An operator's application to run a canteen, reviewed by the town, inspected on site and
    accepted by the district, recorded by the city. The canteen exists (and sells) from the
    district's acceptance."""

    operator_name = models.CharField(_("operator"), max_length=100)
    operator_kind = models.CharField(
        _("kind of operator"), max_length=12, choices=OperatorKind.choices
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=40)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    name = models.CharField(_("canteen name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=CanteenKind.choices)
    village = models.ForeignKey(
        "geo.Region",
        verbose_name=_("village / community"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=120)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    seats = models.PositiveIntegerField(_("seats"), default=0)
    daily_capacity = models.PositiveIntegerField(_("meals a day"))
    sessions = models.JSONField(_("meal sessions"), default=list)  # SessionKind values
    licence_no = models.CharField(_("food business licence number"), max_length=30)
    licence_expires_on = models.DateField(_("licence valid until"))
    insurance_no = models.CharField(_("liability insurance policy"), max_length=40)
    insurance_expires_on = models.DateField(_("insurance valid until"))
    status = models.CharField(
        _("status"), max_length=12, choices=ApplicationStatus.choices, default="draft"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.stamp)
    canteen = models.OneToOneField(
        Canteen, null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )

    class Meta:
        verbose_name = _("canteen application")
        verbose_name_plural = _("canteen applications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "recorded"]) | Q(canteen__isnull=False),
                name="application_accepted_has_canteen",
            ),
            models.CheckConstraint(
                condition=~Q(kind="central_kitchen") | Q(seats=0),
                name="application_central_kitchen_has_no_seats",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationStaff(models.Model):
    """A kitchen worker named in the application, with the health certificate."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(_("name"), max_length=40)
    job = models.CharField(_("job"), max_length=20)
    health_cert_no = models.CharField(_("health certificate number"), max_length=30)
    health_cert_expires_on = models.DateField(_("health certificate valid until"))

    class Meta:
        verbose_name = _("applicant's staff member")
        verbose_name_plural = _("applicant's staff")

    def __str__(self) -> str:
        return self.name


class ApplicationFile(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="files")
    what = models.CharField(_("what it shows"), max_length=40)
    file = models.FileField(_("file"), upload_to="oversight/applications/%Y/%m/")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), default=clock.stamp)

    class Meta:
        verbose_name = _("application file")
        verbose_name_plural = _("application files")

    def __str__(self) -> str:
        return self.what


class ApplicationStepKind(models.TextChoices):
    SUBMIT = "submit", _("submitted")
    TOWN_PASS = "town_pass", _("reviewed by the town")
    ACCEPT = "accept", _("inspected on site and accepted by the district")
    RECORD = "record", _("recorded by the city")
    RETURN = "return", _("sent back")


class ApplicationStep(models.Model):
    """Who did what to an application, when, and what they said (kept for good)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=10, choices=ApplicationStepKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=clock.stamp)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("application step")
        verbose_name_plural = _("application steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.step}"


class ConstructionSubsidy(models.Model):
    """Policy data: what a canteen of a kind is granted for its construction, and how it is
    paid in stages (a share on acceptance, the rest after months of operation)."""

    kind = models.CharField(_("kind"), max_length=20, choices=CanteenKind.choices)
    valid_from = models.DateField(_("in force from"))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    # [[months after acceptance, share in basis points], ...]: shares sum to 10,000.
    stages = models.JSONField(_("stages"))
    city_share_bp = models.PositiveIntegerField(_("city's share (basis points)"), default=5000)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("construction subsidy")
        verbose_name_plural = _("construction subsidies")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="construction_once"),
            models.CheckConstraint(
                condition=Q(city_share_bp__lte=10000), name="construction_city_share_whole"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.valid_from}"

    def clean(self) -> None:
        """Stages are [months after acceptance, share in basis points] whose shares make the
        whole grant."""
        from django.core.exceptions import ValidationError

        stages = self.stages if isinstance(self.stages, list) else []
        shaped = all(
            isinstance(s, list) and len(s) == 2 and all(isinstance(n, int) and n >= 0 for n in s)
            for s in stages
        )
        if not stages or not shaped or sum(s[1] for s in stages) != 10000:
            raise ValidationError(
                {"stages": _("Stages are [months, share in basis points]; shares sum to 10000.")}
            )


class StagePayment(models.Model):
    """One stage of a canteen's construction subsidy: due on a date, posted to the ledger
    (the canteen is owed it, the funds pay) when the city releases it."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="stage_payments"
    )
    number = models.PositiveSmallIntegerField(_("stage"))
    due_on = models.DateField(_("due on"))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    city_fen = models.PositiveIntegerField(_("from the city fund (fen)"))
    district_fen = models.PositiveIntegerField(_("from the district fund (fen)"))
    journal = models.OneToOneField(
        "ledger.Journal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("construction subsidy stage")
        verbose_name_plural = _("construction subsidy stages")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="stage_once"),
            models.CheckConstraint(
                condition=Q(amount_fen=models.F("city_fen") + models.F("district_fen")),
                name="stage_shares_whole",
            ),
            models.CheckConstraint(
                condition=Q(journal__isnull=True, released_at__isnull=True)
                | Q(journal__isnull=False, released_at__isnull=False),
                name="stage_released_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.number}"


# --- 事中: the kitchen's daily records -------------------------------------------------------


class KitchenStaff(models.Model):
    """A person working in a canteen's kitchen, with the health certificate that lets them."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="kitchen_staff")
    name = models.CharField(_("name"), max_length=40)
    job = models.CharField(_("job"), max_length=20)
    health_cert_no = models.CharField(_("health certificate number"), max_length=30)
    health_cert_expires_on = models.DateField(_("health certificate valid until"))
    is_active = models.BooleanField(_("working here"), default=True)

    class Meta:
        verbose_name = _("kitchen staff member")
        verbose_name_plural = _("kitchen staff")
        ordering = ["canteen", "name"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="kitchen_staff_once")
        ]

    def __str__(self) -> str:
        return self.name


class MorningCheck(models.Model):
    """晨检: each worker's health check before work; unfit means not in the kitchen today."""

    staff = models.ForeignKey(KitchenStaff, on_delete=models.PROTECT, related_name="checks")
    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.CharField(_("symptoms"), max_length=100, blank=True)
    fit = models.BooleanField(_("fit to work"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.stamp)

    class Meta:
        verbose_name = _("morning health check")
        verbose_name_plural = _("morning health checks")
        constraints = [
            models.UniqueConstraint(fields=["staff", "day"], name="morning_check_once"),
            models.CheckConstraint(
                condition=Q(temperature__gte=34, temperature__lte=42),
                name="morning_check_temperature_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day}"


SAMPLE_KEEP_HOURS = 48
SAMPLE_MIN_GRAMS = 125  # 每个品种留样量不少于125克


class FoodSample(models.Model):
    """留样: a sample of a dish served at a meal, kept refrigerated for 48 hours."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    session = models.CharField(_("meal session"), max_length=10, choices=SessionKind.choices)
    dish = models.ForeignKey(Dish, verbose_name=_("dish"), on_delete=models.PROTECT)
    grams = models.PositiveIntegerField(_("weight (g)"))
    photo = models.ImageField(_("photo"), upload_to="oversight/samples/%Y/%m/")
    taken_by = models.CharField(_("taken by"), max_length=40)
    taken_at = models.DateTimeField(_("taken at"), default=clock.stamp)
    keep_until = models.DateTimeField(_("keep until"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    discarded_at = models.DateTimeField(_("discarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("food sample")
        verbose_name_plural = _("food samples")
        ordering = ["-day", "session"]
        constraints = [
            models.UniqueConstraint(
                fields=["canteen", "day", "session", "dish"], name="sample_once"
            ),
            models.CheckConstraint(
                condition=Q(grams__gte=SAMPLE_MIN_GRAMS), name="sample_at_least_125_grams"
            ),
            models.CheckConstraint(
                condition=Q(discarded_at__isnull=True)
                | Q(discarded_at__gte=models.F("keep_until")),
                name="sample_kept_48_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.session} {self.dish_id}"


class PurchaseCheck(models.Model):
    """进货查验: what came in, from whom, with which invoice and inspection certificate."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    supplier = models.CharField(_("supplier"), max_length=60)
    goods = models.CharField(_("goods"), max_length=100)
    invoice_no = models.CharField(_("invoice number"), max_length=40)
    certificate_no = models.CharField(_("inspection certificate"), max_length=40, blank=True)
    photo = models.ImageField(_("photo"), upload_to="oversight/purchases/%Y/%m/")
    accepted = models.BooleanField(_("accepted"), default=True)
    note = models.CharField(_("note"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.stamp)

    class Meta:
        verbose_name = _("purchase check")
        verbose_name_plural = _("purchase checks")
        ordering = ["-day", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.day} {self.goods}"


class HygieneKind(models.TextChoices):
    DISINFECTION = "disinfection", _("tableware disinfection")
    FRIDGE = "fridge", _("refrigerator temperature")
    SAMPLE_FRIDGE = "sample_fridge", _("sample refrigerator temperature")
    FREEZER = "freezer", _("freezer temperature")


# The temperature each kind must keep (°C), inclusive.
HYGIENE_LIMITS = {"fridge": (0, 8), "sample_fridge": (0, 8), "freezer": (-30, -12)}


class HygieneRecord(models.Model):
    """消毒 and temperatures: a tableware disinfection done, a refrigerator read."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=14, choices=HygieneKind.choices)
    reading = models.DecimalField(
        _("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    method = models.CharField(_("method"), max_length=40, blank=True)
    within_limits = models.BooleanField(_("within limits"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.stamp)

    class Meta:
        verbose_name = _("hygiene record")
        verbose_name_plural = _("hygiene records")
        ordering = ["-day", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="disinfection") | Q(reading__isnull=False),
                name="hygiene_temperature_has_reading",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}"


# --- 事中: inspections -----------------------------------------------------------------------


class InspectorBody(models.TextChoices):
    TOWN = "town", _("town / subdistrict")
    DISTRICT = "district", _("district civil affairs")
    MARKET = "market", _("market regulator")
    CITY = "city", _("city civil affairs")


class InspectionPurpose(models.TextChoices):
    ACCEPTANCE = "acceptance", _("acceptance on site")
    ROUTINE = "routine", _("routine inspection")
    FOLLOW_UP = "follow_up", _("follow-up")
    EVALUATION = "evaluation", _("rectification after an evaluation")


class Inspection(models.Model):
    """An inspection with its checklist (each point met or not, with a note) and findings."""

    canteen = models.ForeignKey(
        Canteen, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=InspectionPurpose.choices)
    body = models.CharField(_("by"), max_length=10, choices=InspectorBody.choices)
    day = models.DateField(_("day"))
    # [{"point": "...", "met": true, "note": ""}, ...]
    checklist = models.JSONField(_("checklist"))
    score = models.PositiveSmallIntegerField(_("points met (%)"))
    inspectors = models.CharField(_("inspectors"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.stamp)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(canteen__isnull=False) | Q(application__isnull=False),
                name="inspection_of_something",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="inspection_score_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_purpose_display()}"


class Finding(models.Model):
    """A problem an inspection found, to be put right by a deadline and confirmed."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    canteen = models.ForeignKey(
        Canteen, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    text = models.CharField(_("finding"), max_length=200)
    photo = models.ImageField(_("photo"), upload_to="oversight/findings/%Y/%m/", blank=True)
    deadline = models.DateField(_("put right by"))
    rectified_text = models.CharField(_("what was done"), max_length=200, blank=True)
    rectified_photo = models.ImageField(
        _("photo after"), upload_to="oversight/findings/%Y/%m/", blank=True
    )
    rectified_at = models.DateTimeField(_("reported put right at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(rectified_at__isnull=False),
                name="finding_confirmed_after_rectified",
            )
        ]

    def __str__(self) -> str:
        return self.text


# --- 事中: the elders' word ------------------------------------------------------------------


class RatingChannel(models.TextChoices):
    COUNTER = "counter", _("at the counter")
    ELDER_PAGE = "elder_page", _("on the elder's page")
    PHONE = "phone", _("by phone, through a worker")


class MealRating(models.Model):
    """An elder's rating of one meal (1 to 5), given once."""

    meal = models.OneToOneField("meals.Meal", on_delete=models.PROTECT, related_name="rating")
    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="ratings")
    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("meal's day"))
    stars = models.PositiveSmallIntegerField(_("rating"))
    channel = models.CharField(_("given"), max_length=12, choices=RatingChannel.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.stamp)

    class Meta:
        verbose_name = _("meal rating")
        verbose_name_plural = _("meal ratings")
        indexes = [models.Index(fields=["canteen", "day"])]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.meal_id} {self.stars}"


COMPLAINT_ANSWER_DAYS = 3


class Complaint(models.Model):
    """An elder's complaint about a canteen, answered by the canteen within three days."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="complaints")
    elder = models.ForeignKey(
        "elders.Elder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("complaint"), max_length=300)
    channel = models.CharField(_("given"), max_length=12, choices=RatingChannel.choices)
    made_at = models.DateTimeField(_("made at"), default=clock.stamp)
    answer = models.CharField(_("answer"), max_length=300, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-made_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""),
                name="complaint_answer_said",
            )
        ]

    def __str__(self) -> str:
        return self.text[:30]


# --- Traceability ----------------------------------------------------------------------------


class TraceCase(models.Model):
    """A suspected food-safety incident: a dish (or the whole canteen) on a day, its sales
    stopped at once, everyone who ate it listed for a call round; kept for the regulator."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="trace_cases")
    dish = models.ForeignKey(Dish, null=True, blank=True, on_delete=models.PROTECT)
    day = models.DateField(_("day eaten"))
    reason = models.CharField(_("what was reported"), max_length=300)
    stopped_canteen = models.BooleanField(_("canteen's sales stopped"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), default=clock.stamp)
    # The list as it stood when the case was opened: who ate, when, with their contacts.
    eaters = models.JSONField(_("who ate it"), default=list)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("food-safety trace")
        verbose_name_plural = _("food-safety traces")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.day}"


class TraceCall(models.Model):
    """One call of the round: who was reached and how they are."""

    case = models.ForeignKey(TraceCase, on_delete=models.CASCADE, related_name="calls")
    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12)  # well | unwell | unreached
    note = models.CharField(_("note"), max_length=200, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("called at"), default=clock.stamp)

    class Meta:
        verbose_name = _("trace call")
        verbose_name_plural = _("trace calls")
        ordering = ["called_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.elder_id} {self.outcome}"


# --- 事后: evaluations and stars --------------------------------------------------------------


class StarPolicy(models.Model):
    """Policy data: how a canteen's half-year or year is scored (the parts' weights), the
    stars each score earns, the score below which it must put things right, and the operating
    subsidy per elder-day at each star. A version is in force from its date."""

    valid_from = models.DateField(_("in force from"), unique=True)
    # {"ratings": 30, "complaints": 15, "inspections": 25, "records": 20, "settlement": 10}
    weights = models.JSONField(_("weights"))
    bands = models.JSONField(_("star bands"))  # [[90, 5], [80, 4], [70, 3], [60, 2], [0, 1]]
    rectify_below = models.PositiveSmallIntegerField(_("rectification below score"), default=60)
    subsidy_fen_by_star = models.JSONField(_("operating subsidy per elder-day by stars (fen)"))
    city_share_bp = models.PositiveIntegerField(_("city's share (basis points)"), default=5000)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("star rating policy")
        verbose_name_plural = _("star rating policies")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return str(self.valid_from)

    def clean(self) -> None:
        """The weights name the evaluation's parts, the bands are [floor, stars] pairs, and
        every star earned has a subsidy rate."""
        from django.core.exceptions import ValidationError

        parts = ("ratings", "complaints", "inspections", "records", "settlement")
        weights = self.weights if isinstance(self.weights, dict) else {}
        if (
            not weights
            or set(weights) - set(parts)
            or any(not isinstance(w, int | float) or w < 0 for w in weights.values())
        ):
            raise ValidationError({"weights": _("Weights are numbers for: %s.") % ", ".join(parts)})
        bands = self.bands if isinstance(self.bands, list) else []
        if not bands or any(
            not isinstance(b, list) or len(b) != 2 or not 0 <= b[1] <= 5 for b in bands
        ):
            raise ValidationError({"bands": _("Bands are [lowest score, stars] pairs, 0-5 stars.")})
        rates = self.subsidy_fen_by_star if isinstance(self.subsidy_fen_by_star, dict) else {}
        missing = {str(int(b[1])) for b in bands} - set(rates)
        if missing or any(not isinstance(v, int) or v < 0 for v in rates.values()):
            raise ValidationError(
                {"subsidy_fen_by_star": _("A rate in fen (0 or more) for every star a band gives.")}
            )


class Evaluation(models.Model):
    """A canteen's half-year (2026S1) or year (2026), computed from its own data: the
    figures, each part's score, the total, the stars and the operating subsidy they earn."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="evaluations")
    period_id = models.CharField(_("period"), max_length=8)
    policy = models.ForeignKey(StarPolicy, on_delete=models.PROTECT, related_name="+")
    figures = models.JSONField(_("figures"))
    parts = models.JSONField(_("part scores"))
    score = models.FloatField(_("score"), null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("stars"))
    elder_days = models.PositiveIntegerField(_("elder-days served"))
    subsidy_fen_per_elder_day = models.PositiveIntegerField(_("subsidy per elder-day (fen)"))
    subsidy_fen = models.PositiveBigIntegerField(_("operating subsidy (fen)"))
    rectification = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"), default=clock.stamp)
    # The operating subsidy posted to the ledger by the city; the figures are fixed from then.
    journal = models.OneToOneField(
        "ledger.Journal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("subsidy released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("canteen evaluation")
        verbose_name_plural = _("canteen evaluations")
        ordering = ["-period_id", "canteen"]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "period_id"], name="evaluation_once"),
            models.CheckConstraint(condition=Q(stars__lte=5), name="evaluation_stars_0_to_5"),
            models.CheckConstraint(
                condition=Q(journal__isnull=True, released_at__isnull=True)
                | Q(journal__isnull=False, released_at__isnull=False),
                name="evaluation_released_is_posted",
            ),
            models.CheckConstraint(
                condition=Q(
                    subsidy_fen=models.F("elder_days") * models.F("subsidy_fen_per_elder_day")
                ),
                name="evaluation_subsidy_is_days_times_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.period_id}"
