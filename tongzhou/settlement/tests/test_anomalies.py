"""The review queue: a planted case of card lending across islands, meals after a death,
found once, resolved with a recorded outcome by the right role."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.core.errors import DomainError, NotFound, PermissionDenied
from tongzhou.meals.tests.conftest import Counter
from tongzhou.settlement import services
from tongzhou.settlement.anomalies import crossing, detect_anomalies
from tongzhou.settlement.models import AnomalyCase, AnomalyKind

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()
SHENGSI, LIUHENG = "330922100001", "330903100001"  # 泗礁山 (嵊泗) and 六横岛


def sell(counter: Counter, card: str, at: dt.datetime) -> None:
    """A sale as a counter sends it, with the device's time."""
    key = uuid.uuid4().hex
    response = counter.client().post(
        "/api/v1/checkout",
        {
            "card": card,
            "session": "lunch",
            "lines": [{"amount_fen": 1500}],
            "receipt_no": key[:20],
            "accept_full_price": True,
            "device_time": at.isoformat(),
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 201, response.content


def test_the_island_graph_knows_the_fastest_crossings() -> None:
    minutes, route = crossing("泗礁山", "六横岛")  # type: ignore[misc]
    assert route[0] == "泗礁山" and route[-1] == "六横岛" and "舟山本岛" in route
    assert minutes >= 120
    assert crossing("舟山本岛", "舟山本岛") == (0.0, ["舟山本岛"])
    assert crossing("舟山本岛", "没有这个岛") is None


def test_card_lending_across_islands_appears_in_the_queue_and_is_resolved(
    make_counter: Callable[[str], Counter],
    make_member: Callable[..., Any],
    make_user: Callable[..., Any],
    lunch_time: Callable[[dt.datetime], None],
    signed_in: Callable[[Any], Client],
) -> None:
    shengsi, liuheng = make_counter(SHENGSI), make_counter(LIUHENG)
    lender, card = make_member(own_fen=10000, village=SHENGSI)
    _honest, honest_card = make_member(own_fen=10000, village=SHENGSI)
    eleven = dt.datetime(2026, 3, 12, 11, 0, tzinfo=TZ)
    lunch_time(eleven)
    sell(shengsi, card, eleven)
    sell(shengsi, honest_card, eleven)
    later = eleven + dt.timedelta(minutes=40)  # 40 minutes later, on 六横
    lunch_time(later)
    sell(liuheng, card, later)
    lunch_time(dt.datetime(2026, 4, 2, 9, 0, tzinfo=TZ))
    period = services.period_for("monthly", dt.date(2026, 3, 1))

    found = detect_anomalies(period)
    assert found[AnomalyKind.TRAVEL] == 1
    case = AnomalyCase.objects.get(kind=AnomalyKind.TRAVEL)
    assert case.elder == lender
    assert case.evidence["minutes_between"] == 40.0
    assert case.evidence["fastest_crossing_minutes"] >= 120
    assert [m["island"] for m in case.evidence["meals"]] == ["泗礁山", "六横岛"]
    assert detect_anomalies(period)[AnomalyKind.TRAVEL] == 0  # found once

    district = make_user(Role.DISTRICT_OFFICER, region="330922")  # 嵊泗县
    elsewhere = make_user(Role.DISTRICT_OFFICER, region="330902")
    page = signed_in(district).get("/settlement/anomalies/").content.decode()
    assert "泗礁山→六横岛" in page
    assert (
        "泗礁山→六横岛" not in signed_in(elsewhere).get("/settlement/anomalies/").content.decode()
    )
    with pytest.raises(NotFound):
        services.anomaly_resolve(actor=elsewhere, case_id=case.pk, resolution="confirmed", note="x")
    with pytest.raises(PermissionDenied):
        services.anomaly_resolve(
            actor=make_user(Role.VILLAGE_WORKER, region=SHENGSI),
            case_id=case.pk,
            resolution="confirmed",
            note="x",
        )
    with pytest.raises(DomainError):
        services.anomaly_resolve(actor=district, case_id=case.pk, resolution="confirmed", note=" ")
    signed_in(district).post(
        "/settlement/anomalies/",
        {"case": case.pk, "resolution": "confirmed", "note": "卡借给六横亲戚使用，已追回补贴"},
    )
    case.refresh_from_db()
    assert case.resolution == "confirmed" and case.resolved_by == district


def test_meals_after_a_recorded_death_are_a_case(
    counter: Counter,
    make_member: Callable[..., Any],
    superuser: Any,
    lunch_time: Callable[[dt.datetime], None],
) -> None:
    from tongzhou.elders.models import Elder

    elder, card = make_member()
    sell(counter, card, dt.datetime(2026, 3, 12, 11, 30, tzinfo=TZ))
    Elder.objects.filter(pk=elder.pk).update(status="deceased", died_on=dt.date(2026, 3, 10))
    period = services.period_for("monthly", dt.date(2026, 3, 1))
    assert detect_anomalies(period)["register"] == 1
    assert AnomalyCase.objects.get().kind == AnomalyKind.AFTER_DEATH
