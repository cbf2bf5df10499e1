"""A month of sales settles per funder, moves through the roles in order, reconciles to the
fen, and a closed month never changes: late sales and refunds land in the next one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core.errors import DomainError, PermissionDenied
from tongzhou.meals.services import meal_refund
from tongzhou.meals.tests.conftest import Counter
from tongzhou.settlement import services
from tongzhou.settlement.models import StatementStatus
from tongzhou.settlement.reconcile import reconcile
from tongzhou.settlement.selectors import statement_figures

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def at(month: int, day: int, hour: int = 11, minute: int = 30) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def sell(counter: Counter, card: str, *, fen: int = 1200, full: bool = False) -> dict[str, Any]:
    key = uuid.uuid4().hex
    response = counter.client().post(
        "/api/v1/checkout",
        {
            "card": card,
            "session": "lunch",
            "lines": [{"amount_fen": fen}],
            "receipt_no": key[:20],
            "accept_full_price": full,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_month_settles_in_order_reconciles_and_stays_closed(
    counter: Counter,
    make_member: Callable[..., Any],
    make_user: Callable[..., Any],
    lunch_time: Callable[[dt.datetime], None],
    superuser: Any,
) -> None:
    manager = make_user(Role.CANTEEN_MANAGER, canteen=counter.canteen)
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    city = make_user(Role.CITY_BUREAU, region="330900")
    elders = [make_member(own_fen=20000, birth=dt.date(1950 - 10 * i, 1, 1)) for i in range(3)]
    receipts = []
    for day in (3, 4, 5):
        lunch_time(at(3, day))
        for _elder, card in elders:
            receipts.append(sell(counter, card))
    lunch_time(at(3, 5, 12))
    counter.client().post(
        f"/api/v1/meals/{receipts[-1]['receipt_no']}/void",
        {"reason": "输错"},
        content_type="application/json",
    )

    lunch_time(at(4, 2, 9))
    march = services.statement_for(actor=manager, canteen=counter.canteen, day=dt.date(2026, 3, 1))
    draft = statement_figures(march)
    assert draft.sales["count"] == 9 and draft.reversals["count"] == 1
    assert sum(draft.funders.values()) == draft.net_total
    assert draft.by_session == {"lunch": 9}
    assert draft.elder_days == 8 and draft.operating_fen == 8 * 100
    with pytest.raises(PermissionDenied):
        services.statement_submit(actor=town, statement_id=march.pk)
    with pytest.raises(DomainError) as early:
        services.statement_review(actor=town, statement_id=march.pk)
    assert early.value.code == "statement_wrong_step"

    services.statement_submit(actor=manager, statement_id=march.pk)
    with pytest.raises(PermissionDenied):
        services.statement_approve(actor=town, statement_id=march.pk)
    with pytest.raises(DomainError):
        services.statement_approve(actor=city, statement_id=march.pk)  # not reviewed yet
    services.statement_review(actor=town, statement_id=march.pk)
    services.statement_approve(actor=city, statement_id=march.pk)
    paid = services.statement_pay(actor=city, statement_id=march.pk, reference="ZF-2026-04-001")
    assert paid.status == StatementStatus.PAID
    actions = list(
        AuditEvent.objects.filter(action__startswith="settlement.").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["settlement.submit", "settlement.review", "settlement.approve", "settlement.pay"]
    )
    kept = dict(paid.totals)
    assert reconcile(paid.period).ok

    # April: a refund of a March sale, and a late offline sale dated in March.
    meal_refund(actor=city, receipt_no=receipts[0]["receipt_no"], reason="重复收费")
    lunch_time(at(4, 3, 11))
    late = counter.client().post(
        "/api/v1/terminal/offline-sales",
        {
            "sales": [
                {
                    "client_id": uuid.uuid4().hex,
                    "receipt_no": "late-1",
                    "card": elders[1][1],
                    "session": "lunch",
                    "device_time": at(3, 31).isoformat(),
                    "lines": [{"amount_fen": 1200}],
                }
            ]
        },
        content_type="application/json",
    )
    assert late.json()["results"][0]["outcome"] == "posted"  # dated 31 March, posted 3 April
    march.refresh_from_db()
    assert march.totals == kept and statement_figures(march).funders == kept["funders"]

    lunch_time(at(5, 2, 9))
    april = services.statement_for(actor=manager, canteen=counter.canteen, day=dt.date(2026, 4, 1))
    services.statement_submit(actor=manager, statement_id=april.pk)
    april.refresh_from_db()
    assert april.totals["reversals"]["count"] == 1
    # The late sale is dated in March (an adjustment); the refund is dated in April.
    assert april.totals["sales"]["count"] == 1 and april.totals["adjustments"] == 1
    assert reconcile(april.period).ok


def test_the_columnar_engine_gives_the_statements_figures(
    counter: Counter, make_member: Callable[..., Any], lunch_time: Callable[[dt.datetime], None],
    make_user: Callable[..., Any], tmp_path: Any,
) -> None:  # fmt: skip
    from tongzhou.settlement.analytics import export_meals, monthly_figures

    manager = make_user(Role.CANTEEN_MANAGER, canteen=counter.canteen)
    elders = [make_member(own_fen=20000, birth=dt.date(1950 - 10 * i, 1, 1)) for i in range(3)]
    receipts = []
    for day in (3, 4):
        lunch_time(at(3, day))
        receipts += [sell(counter, card) for _elder, card in elders]
    counter.client().post(
        f"/api/v1/meals/{receipts[-1]['receipt_no']}/void",
        {"reason": "输错"},
        content_type="application/json",
    )
    lunch_time(at(4, 2, 9))
    march = services.statement_for(actor=manager, canteen=counter.canteen, day=dt.date(2026, 3, 1))
    figures = statement_figures(march)

    path = tmp_path / "meals.parquet"
    assert export_meals(path, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == 6
    (month,) = monthly_figures(path)
    assert (month.month, month.canteen_id) == (dt.date(2026, 3, 1), counter.canteen.pk)
    assert month.funders == figures.funders
    assert month.total_fen == figures.net_total
    assert (month.meals, month.reversals) == (figures.sales["count"], figures.reversals["count"])
    assert month.by_session == figures.by_session and month.elder_days == figures.elder_days


@pytest.mark.parametrize(
    ("cycle", "day", "bounds"),
    [
        ("monthly", dt.date(2026, 2, 14), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("monthly", dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        ("quarterly", dt.date(2026, 5, 20), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))),
        ("quarterly", dt.date(2026, 12, 1), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ],
)
def test_periods_are_months_or_quarters(
    cycle: str, day: dt.date, bounds: tuple[dt.date, dt.date]
) -> None:
    assert services.period_bounds(cycle, day) == bounds


def test_a_quarterly_canteen_gets_a_quarterly_statement(counter: Counter, superuser: Any) -> None:
    counter.canteen.settlement_cycle = "quarterly"
    statement = services.statement_for(
        actor=superuser, canteen=counter.canteen, day=dt.date(2026, 3, 12)
    )
    assert (statement.period.cycle, statement.period.starts_on) == (
        "quarterly",
        dt.date(2026, 1, 1),
    )
    assert str(statement.period) == "2026年第1季度"
