"""Reads of a canteen's governed life, each inside the actor's area: applications waiting for
the actor's step, the kitchen's day sheet (what is recorded and what is missing), papers about
to lapse, inspections and findings open, ratings and complaints, and who ate a dish on a day."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import level_of, require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.canteens.models import Canteen, Dish, Menu, MenuItem
from tongzhou.canteens.selectors import menu_gaps
from tongzhou.core import clock
from tongzhou.core.errors import NotFound
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.meals.models import Meal, MealStatus
from tongzhou.oversight.models import (
    COMPLAINT_ANSWER_DAYS,
    Application,
    ApplicationStatus,
    Complaint,
    Evaluation,
    Finding,
    FoodSample,
    HygieneRecord,
    Inspection,
    KitchenStaff,
    MealRating,
    MorningCheck,
    PurchaseCheck,
    TraceCase,
)
from tongzhou.settlement.models import Statement

WARN_DAYS = 30  # papers are warned of this many days before they lapse

# The step each level takes on an application.
STEP_OF_LEVEL: dict[str, str] = {
    RegionLevel.TOWN: ApplicationStatus.SUBMITTED,
    RegionLevel.DISTRICT: ApplicationStatus.TOWN_PASSED,
    RegionLevel.CITY: ApplicationStatus.ACCEPTED,
}


def applications_visible_to(actor: Any) -> QuerySet[Application]:
    scope = scope_for(actor)
    return Application.objects.filter(scope.region_q("village__path")).select_related(
        "village", "canteen"
    )


def application_get(actor: Any, application_id: int) -> Application:
    found = applications_visible_to(actor).filter(pk=application_id).first()
    if found is None:
        raise NotFound("食堂申请", "application")
    return found


def waiting_step(actor: Any) -> str | None:
    """The application status the actor's level acts on (None: none)."""
    return STEP_OF_LEVEL.get(level_of(actor))


def canteens_governed(actor: Any) -> QuerySet[Canteen]:
    return Canteen.objects.filter(scope_for(actor).canteen_q()).select_related("village")


def canteen_get(actor: Any, canteen_id: int) -> Canteen:
    found = canteens_governed(actor).filter(pk=canteen_id).first()
    if found is None:
        raise NotFound("食堂", "canteen")
    return found


# --- the kitchen's day -----------------------------------------------------------------------


@dataclass
class DaySheet:
    canteen: Canteen
    day: dt.date
    staff: list[tuple[KitchenStaff, MorningCheck | None]]
    served: list[tuple[str, Dish, FoodSample | None]]  # (session, dish, its sample)
    purchases: list[PurchaseCheck]
    hygiene: list[HygieneRecord]
    warnings: list[str] = field(default_factory=list)
    # The coming week's meals without a published menu (elders choose a week ahead).
    menu_gaps: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def menu_gaps_text(self) -> str:
        shown = "、".join(
            f"{day:%m月%d日}{_SESSION_WORDS.get(session, session)}"
            for day, session in self.menu_gaps[:4]
        )
        more = f"等{len(self.menu_gaps)}餐" if len(self.menu_gaps) > 4 else ""
        return f"{shown}{more}" if shown else ""

    @property
    def missing(self) -> list[str]:
        """What the day still lacks, in words (a missing sample is flagged here)."""
        gaps = [f"{s.name}未晨检" for s, check in self.staff if check is None]
        gaps += [
            f"{_SESSION_WORDS.get(session, session)}“{dish.name}”未留样"
            for session, dish, sample in self.served
            if sample is None
        ]
        kinds = {h.kind for h in self.hygiene}
        if "disinfection" not in kinds:
            gaps.append("餐具未记录消毒")
        if not kinds & {"fridge", "sample_fridge"}:
            gaps.append("冰箱温度未记录")
        return gaps

    @property
    def complete(self) -> bool:
        return not self.missing


_SESSION_WORDS = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}


def paper_warnings(
    canteen: Canteen, day: dt.date, staff: list[KitchenStaff] | None = None
) -> list[str]:
    """The licence and the health certificates (of `staff`, else of the canteen's working
    staff) lapsed or lapsing within 30 days."""
    found: list[str] = []
    soon = day + dt.timedelta(days=WARN_DAYS)
    if canteen.licence_expires_on is not None:
        if canteen.licence_expires_on < day:
            found.append(
                f"食品经营许可证已于{canteen.licence_expires_on:%Y年%m月%d日}到期，已停止售餐"
            )
        elif canteen.licence_expires_on <= soon:
            found.append(
                f"食品经营许可证将于{canteen.licence_expires_on:%Y年%m月%d日}到期，请及时续证"
            )
    if staff is None:
        staff = list(KitchenStaff.objects.filter(canteen=canteen, is_active=True))
    for person in staff:
        if person.health_cert_expires_on <= soon:
            word = "已过期，不得上岗" if person.health_cert_expires_on < day else "即将到期"
            found.append(f"{person.name}的健康证{person.health_cert_expires_on:%Y年%m月%d日}{word}")
    return found


def day_sheet(canteen: Canteen, day: dt.date) -> DaySheet:
    return day_sheets([canteen], day)[0]


def day_sheets(canteens: list[Canteen], day: dt.date) -> list[DaySheet]:
    """Each canteen's day, every record table read once for them all."""
    ids = [c.pk for c in canteens]
    staff: dict[int, list[KitchenStaff]] = defaultdict(list)
    for person in KitchenStaff.objects.filter(canteen_id__in=ids, is_active=True):
        staff[person.canteen_id].append(person)
    checks = {c.staff_id: c for c in MorningCheck.objects.filter(canteen_id__in=ids, day=day)}
    samples = {
        (s.canteen_id, s.session, s.dish_id): s
        for s in FoodSample.objects.filter(canteen_id__in=ids, day=day)
    }
    served: dict[int, list[tuple[str, Dish, FoodSample | None]]] = defaultdict(list)
    for item in (
        MenuItem.objects.filter(menu__canteen_id__in=ids, menu__date=day)
        .select_related("menu", "dish")
        .order_by("menu__session", "dish__name")
    ):
        key = (item.menu.canteen_id, item.menu.session, item.dish_id)
        served[item.menu.canteen_id].append((item.menu.session, item.dish, samples.get(key)))
    purchases: dict[int, list[PurchaseCheck]] = defaultdict(list)
    for purchase in PurchaseCheck.objects.filter(canteen_id__in=ids, day=day):
        purchases[purchase.canteen_id].append(purchase)
    gaps = menu_gaps(ids, day + dt.timedelta(days=1))
    hygiene: dict[int, list[HygieneRecord]] = defaultdict(list)
    for row in HygieneRecord.objects.filter(canteen_id__in=ids, day=day):
        hygiene[row.canteen_id].append(row)
    return [
        DaySheet(
            canteen=canteen,
            day=day,
            staff=[(person, checks.get(person.pk)) for person in staff[canteen.pk]],
            served=served[canteen.pk],
            purchases=purchases[canteen.pk],
            hygiene=hygiene[canteen.pk],
            warnings=paper_warnings(canteen, day, staff[canteen.pk]),
            menu_gaps=gaps[canteen.pk],
        )
        for canteen in canteens
    ]


def samples_to_discard(canteen: Canteen) -> QuerySet[FoodSample]:
    """Samples kept their 48 hours and not yet discarded."""
    return FoodSample.objects.filter(
        canteen=canteen, discarded_at__isnull=True, keep_until__lte=clock.now()
    ).select_related("dish")


# --- inspections, ratings, complaints --------------------------------------------------------


def findings_open(actor: Any) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(scope_for(actor).canteen_q("canteen__"), confirmed_at__isnull=True)
        .select_related("canteen", "inspection")
        .order_by("deadline", "pk")
    )


def inspections_of(canteen: Canteen) -> QuerySet[Inspection]:
    return Inspection.objects.filter(canteen=canteen).prefetch_related("findings")


@dataclass(frozen=True)
class Voice:
    """What the elders say of a canteen over a span."""

    ratings: int
    average: float | None
    spread: dict[int, int]
    complaints: int
    answered_in_time: int
    open_complaints: list[Complaint]


def voice_of(canteen: Canteen, start: dt.date, end: dt.date) -> Voice:
    ratings = MealRating.objects.filter(canteen=canteen, day__range=(start, end))
    summary = ratings.aggregate(n=Count("pk"), mean=Avg("stars"))
    spread = Counter(dict(ratings.values_list("stars").annotate(n=Count("pk")).order_by()))
    complaints = list(Complaint.objects.filter(canteen=canteen, made_at__date__range=(start, end)))
    in_time = sum(
        1
        for c in complaints
        if c.answered_at is not None
        and c.answered_at - c.made_at <= dt.timedelta(days=COMPLAINT_ANSWER_DAYS)
    )
    return Voice(
        ratings=summary["n"] or 0,
        average=summary["mean"],
        spread={stars: spread.get(stars, 0) for stars in range(5, 0, -1)},
        complaints=len(complaints),
        answered_in_time=in_time,
        open_complaints=[c for c in complaints if c.answered_at is None],
    )


def rateable_meals(elder_id: int, days: int = 7) -> QuerySet[Meal]:
    """The elder's meals of the last week not yet rated (for their own page)."""
    since = clock.today() - dt.timedelta(days=days)
    return (
        Meal.objects.filter(
            elder_id=elder_id,
            status=MealStatus.COMPLETED,
            business_date__gte=since,
            rating__isnull=True,
        )
        .select_related("canteen")
        .order_by("-business_date", "-pk")
    )


# --- traceability ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Eater:
    elder_id: int
    name: str
    phone_masked: str
    village: str
    village_id: int
    session: str
    how: str  # ordered the dish | the set meal of a menu holding it
    receipt_no: str

    def as_record(self) -> dict[str, Any]:
        return {
            "elder": self.elder_id,
            "name": self.name,
            "phone": self.phone_masked,
            "village": self.village,
            "village_id": self.village_id,
            "session": self.session,
            "how": self.how,
            "receipt": self.receipt_no,
        }


def who_ate(canteen_id: int, day: dt.date, dish: Dish | None) -> list[Eater]:
    """Everyone who ate at the canteen that day (dish None), or ate the dish: ordered it by
    name at the counter, or had that session's set meal (booked, delivered) while the menu
    held it. A refunded meal counts (it was eaten, then paid back); a voided sale was a
    mistake at the counter and does not."""
    menus_with_dish: set[str] = set()
    if dish is not None:
        menus_with_dish = set(
            Menu.objects.filter(canteen_id=canteen_id, date=day, items__dish=dish).values_list(
                "session", flat=True
            )
        )
        menu_names = set(
            MenuItem.objects.filter(menu__canteen_id=canteen_id, menu__date=day).values_list(
                "dish__name", flat=True
            )
        )
    meals = (
        Meal.objects.filter(canteen_id=canteen_id, business_date=day)
        .exclude(status=MealStatus.VOIDED)
        .select_related("elder__residence")
        .order_by("session", "created_at")
        .only(
            "pk",
            "session",
            "lines",
            "receipt_no",
            "elder__name",
            "elder__phone_masked",
            "elder__residence__name",
            "elder__residence_id",
        )
    )
    found: dict[int, Eater] = {}
    for meal in meals:
        names = {line.get("name") for line in meal.lines}
        if dish is None:
            how = "当日就餐"
        elif dish.name in names:
            how = "点了这道菜"
        elif meal.session in menus_with_dish and not names & menu_names:
            how = "当餐套餐或送餐（菜单含此菜）"
        else:
            continue
        elder = meal.elder
        found.setdefault(
            elder.pk,
            Eater(
                elder_id=elder.pk,
                name=elder.name,
                phone_masked=elder.phone_masked,
                village=elder.residence.name if elder.residence else "",
                village_id=elder.residence_id or 0,
                session=meal.session,
                how=how,
                receipt_no=meal.receipt_no,
            ),
        )
    return list(found.values())


def village_workers(village_ids: set[int]) -> dict[int, list[User]]:
    """The village workers who make the call round, by village."""
    workers: dict[int, list[User]] = {}
    for user in User.objects.filter(
        role=Role.VILLAGE_WORKER, region_id__in=village_ids, is_active=True
    ):
        assert user.region_id is not None
        workers.setdefault(user.region_id, []).append(user)
    return workers


def traces_visible_to(actor: Any) -> QuerySet[TraceCase]:
    require_cap(actor, Cap.CANTEEN_GOVERN, "查看食品安全追溯", "see food-safety traces")
    return TraceCase.objects.filter(scope_for(actor).canteen_q("canteen__")).select_related(
        "canteen", "dish"
    )


# --- 事后: the figures an evaluation is computed from ----------------------------------------

STATEMENT_DUE_DAYS = 10  # a month's statement is submitted within 10 days of its end


def _elder_days(ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """Distinct (elder, day) pairs served per canteen: what the operating subsidy pays for."""
    if not ids:
        return {}
    meal = Meal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT canteen_id, COUNT(*) FROM (SELECT DISTINCT canteen_id, elder_id, "  # noqa: S608
            f"business_date FROM {meal} WHERE canteen_id IN ({', '.join(['%s'] * len(ids))}) "
            "AND business_date BETWEEN %s AND %s AND status = %s) served GROUP BY canteen_id",
            [*ids, start, end, MealStatus.COMPLETED],
        )
        return dict(cursor.fetchall())


def complete_days(ids: list[int], start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """Per canteen: (days with complete records, days it served). A day is complete with a
    morning check, a sample of every dish on its menus, a disinfection and a fridge read."""
    span = {"day__range": (start, end), "canteen_id__in": ids}
    served = set(
        Meal.objects.filter(
            canteen_id__in=ids, business_date__range=(start, end), status=MealStatus.COMPLETED
        )
        .values_list("canteen_id", "business_date")
        .distinct()
    )
    checked = set(MorningCheck.objects.filter(**span).values_list("canteen_id", "day").distinct())
    sampled = {
        (c, d): n
        for c, d, n in FoodSample.objects.filter(**span)
        .values_list("canteen_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    }
    on_menu = {
        (c, d): n
        for c, d, n in MenuItem.objects.filter(
            menu__canteen_id__in=ids, menu__date__range=(start, end)
        )
        .values_list("menu__canteen_id", "menu__date")
        .annotate(n=Count("pk"))
        .order_by()
    }
    kinds: dict[tuple[int, dt.date], set[str]] = defaultdict(set)
    for c, d, kind in HygieneRecord.objects.filter(**span).values_list("canteen_id", "day", "kind"):
        kinds[(c, d)].add(kind)
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for key in served:
        tally[key[0]][1] += 1
        complete = (
            key in checked
            and sampled.get(key, 0) >= on_menu.get(key, 0)
            and "disinfection" in kinds[key]
            and bool(kinds[key] & {"fridge", "sample_fridge"})
        )
        tally[key[0]][0] += complete
    return {pk: (done, of) for pk, (done, of) in tally.items()}


def evaluation_figures(
    canteens: list[Canteen], start: dt.date, end: dt.date, day: dt.date
) -> dict[int, dict[str, Any]]:
    """Each canteen's figures over [start, end], as of `day`: elder-days, ratings, complaints
    answered in time, inspections' mean score, days with complete records, statements on
    time. A handful of grouped queries for all the canteens together."""
    ids = [c.pk for c in canteens]
    figures: dict[int, dict[str, Any]] = {
        pk: {
            "elder_days": 0,
            "ratings": 0,
            "rating_average": None,
            "complaints": 0,
            "complaints_in_time": 0,
            "inspections": 0,
            "inspection_average": None,
            "days_served": 0,
            "days_complete": 0,
            "statements": 0,
            "statements_on_time": 0,
        }
        for pk in ids
    }
    for pk, n in _elder_days(ids, start, end).items():
        figures[pk]["elder_days"] = n
    for pk, n, mean in (
        MealRating.objects.filter(canteen_id__in=ids, day__range=(start, end))
        .values_list("canteen_id")
        .annotate(n=Count("pk"), mean=Avg("stars"))
        .order_by()
    ):
        figures[pk]["ratings"], figures[pk]["rating_average"] = n, round(mean, 2)
    for complaint in Complaint.objects.filter(
        canteen_id__in=ids, made_at__date__range=(start, end)
    ).only("canteen_id", "made_at", "answered_at"):
        row = figures[complaint.canteen_id]
        row["complaints"] += 1
        row["complaints_in_time"] += (
            complaint.answered_at is not None
            and complaint.answered_at - complaint.made_at
            <= dt.timedelta(days=COMPLAINT_ANSWER_DAYS)
        )
    for pk, n, mean in (
        Inspection.objects.filter(canteen_id__in=ids, day__range=(start, end))
        .exclude(purpose__in=["acceptance", "evaluation"])
        .values_list("canteen_id")
        .annotate(n=Count("pk"), mean=Avg("score"))
        .order_by()
    ):
        figures[pk]["inspections"], figures[pk]["inspection_average"] = n, round(mean, 1)
    for pk, (done, of) in complete_days(ids, start, end).items():
        figures[pk]["days_complete"], figures[pk]["days_served"] = done, of
    due_by = day - dt.timedelta(days=STATEMENT_DUE_DAYS)
    for statement in Statement.objects.filter(
        canteen_id__in=ids, period__ends_on__range=(start, min(end, due_by))
    ).select_related("period"):
        row = figures[statement.canteen_id]
        row["statements"] += 1
        row["statements_on_time"] += statement.submitted_at is not None and timezone.localdate(
            statement.submitted_at
        ) <= statement.period.ends_on + dt.timedelta(days=STATEMENT_DUE_DAYS)
    return figures


def evaluations_of(actor: Any, period_id: str) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(scope_for(actor).canteen_q("canteen__"), period_id=period_id)
        .select_related("canteen__village", "rectification")
        .order_by("-score", "canteen__code")
    )


def meal_id_for_receipt(receipt_no: str) -> int:
    """The meal a receipt number names (0 when none: refused as not found by the service)."""
    found = Meal.objects.filter(receipt_no=receipt_no).values_list("pk", flat=True).first()
    return found or 0


@dataclass
class AreaSummary:
    """An area's canteens over an evaluated period, summed from their evaluations (a mean is
    a sum over a sum, never a mean of means)."""

    area: Region
    canteens: int = 0
    elder_days: int = 0
    ratings: int = 0
    stars_given: float = 0.0
    complaints: int = 0
    complaints_in_time: int = 0
    inspections: int = 0
    findings_open: int = 0
    days_served: int = 0
    days_complete: int = 0
    subsidy_fen: int = 0
    by_stars: dict[int, int] = field(default_factory=dict)

    @property
    def rating_average(self) -> float | None:
        return round(self.stars_given / self.ratings, 2) if self.ratings else None

    @property
    def records_share(self) -> float | None:
        return self.days_complete / self.days_served if self.days_served else None


def area_summaries(actor: Any, evaluations: list[Evaluation]) -> list[AreaSummary]:
    """The evaluations summed by the level below the actor's own: by district for the city,
    by town for a district or a town."""
    level = "district" if level_of(actor) == RegionLevel.CITY else "town"
    depth = 2 if level == "district" else 3
    areas = {region.path: region for region in Region.objects.filter(level=level).order_by("code")}
    open_findings = Counter(
        Finding.objects.filter(
            canteen_id__in=[e.canteen_id for e in evaluations], confirmed_at__isnull=True
        ).values_list("canteen_id", flat=True)
    )
    found: dict[str, AreaSummary] = {}
    for evaluation in evaluations:
        path = "/".join(evaluation.canteen.village.path.split("/")[:depth]) + "/"
        if path not in areas:
            continue
        row = found.setdefault(path, AreaSummary(areas[path]))
        figures = evaluation.figures
        row.canteens += 1
        row.elder_days += evaluation.elder_days
        row.ratings += figures["ratings"]
        row.stars_given += (figures["rating_average"] or 0) * figures["ratings"]
        row.complaints += figures["complaints"]
        row.complaints_in_time += figures["complaints_in_time"]
        row.inspections += figures["inspections"]
        row.findings_open += open_findings[evaluation.canteen_id]
        row.days_served += figures["days_served"]
        row.days_complete += figures["days_complete"]
        row.subsidy_fen += evaluation.subsidy_fen
        row.by_stars[evaluation.stars] = row.by_stars.get(evaluation.stars, 0) + 1
    return [found[path] for path in areas if path in found]


def villages_for(actor: Any) -> list[Region]:
    """The villages and communities an application may be entered for by the actor."""
    return list(
        Region.objects.filter(scope_for(actor).region_q("path"), level=RegionLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )


def latest_evaluated(actor: Any) -> str | None:
    return (
        Evaluation.objects.filter(scope_for(actor).canteen_q("canteen__"))
        .order_by("-computed_at")
        .values_list("period_id", flat=True)
        .first()
    )
