"""督办: raised from a red indicator and assigned, accepted, handled, reported back, sent back
and closed; colours and reminders across a month's end; more time only when asked before the
deadline; scope (a district sees its own items)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.board.models import Indicator, ItemStep, SupervisionItem
from tongzhou.board.services import catalogue_load
from tongzhou.board.supervision import (
    colour,
    extension_ask,
    extension_decide,
    item_accept,
    item_progress,
    item_raise,
    item_report,
    item_review,
    items_remind,
    items_visible_to,
    units_review,
)
from tongzhou.bookings.tests.conftest import at
from tongzhou.core.errors import DomainError
from tongzhou.geo.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    catalogue_load()
    return {
        "city": make_user(Role.CITY_BUREAU, region="330900"),
        "dinghai": make_user(Role.DISTRICT_OFFICER, region="330902"),
        "putuo": make_user(Role.DISTRICT_OFFICER, region="330903"),
        "town": make_user(Role.TOWN_OFFICER, region="330902002"),
    }


def _refused(work: Callable[[], Any]) -> str:
    with pytest.raises(DomainError) as refused:
        work()
    return refused.value.code


def test_an_item_goes_round_the_loop(people: dict[str, Any], now: Any) -> None:
    now(at(2026, 1, 20, 9))
    indicator = Indicator.objects.get(code="SW01")
    item = item_raise(
        actor=people["city"],
        title="定海区私墓整治落后，限期整改",
        source="indicator",
        basis="2026 私墓整治完成率 60%，明显落后",
        unit=Region.objects.get(code="330902"),
        deadline=dt.date(2026, 2, 10),
        indicator=indicator,
        period_id="2026",
    )
    assert item.status == "assigned"
    assert item in items_visible_to(people["dinghai"])
    assert item not in items_visible_to(people["putuo"])
    assert _refused(lambda: item_accept(actor=people["putuo"], item_id=item.pk)) == "not_found"
    item_accept(actor=people["dinghai"], item_id=item.pk)
    item_progress(actor=people["dinghai"], item_id=item.pk, text="已排查全部私墓")
    item_report(actor=people["dinghai"], item_id=item.pk, text="整治完成138处")
    # Only the raiser reviews; sent back, it is handled again.
    assert (
        _refused(
            lambda: item_review(actor=people["dinghai"], item_id=item.pk, close=True, text="好")
        )
        == "permission_denied"
    )
    item_review(actor=people["city"], item_id=item.pk, close=False, text="请附照片")
    assert SupervisionItem.objects.get(pk=item.pk).status == "in_progress"
    item_report(actor=people["dinghai"], item_id=item.pk, text="已附整治前后照片")
    closed = item_review(actor=people["city"], item_id=item.pk, close=True, text="同意办结")
    assert closed.status == "closed" and closed.closed_at is not None
    assert list(ItemStep.objects.filter(item=item).values_list("step", flat=True)) == [
        "assign",
        "accept",
        "progress",
        "report",
        "send_back",
        "report",
        "close",
    ]


def test_colours_reminders_and_more_time_across_a_month_end(
    people: dict[str, Any], now: Any
) -> None:
    now(at(2026, 1, 1, 9))
    item = item_raise(
        actor=people["dinghai"],
        title="补齐探访记录",
        source="instruction",
        basis="局长批示",
        unit=Region.objects.get(code="330902002"),
        deadline=dt.date(2026, 2, 2),
    )
    assert colour(item, dt.date(2026, 1, 10)) == ""
    assert colour(item, dt.date(2026, 1, 20)) == "yellow"  # past half the time, not started
    assert colour(item, dt.date(2026, 1, 30)) == "blue"  # three days to go, over the month's end
    assert colour(item, dt.date(2026, 2, 3)) == "red"
    now(at(2026, 1, 30, 8))
    assert items_remind() == 1 and items_remind() == 0  # once a day
    # More time: asked before the deadline, with a later date; decided by the raiser.
    assert (
        _refused(
            lambda: extension_ask(
                actor=people["town"], item_id=item.pk, reason="", new_deadline=dt.date(2026, 3, 1)
            )
        )
        == "text_required"
    )
    asked = extension_ask(
        actor=people["town"],
        item_id=item.pk,
        reason="春节期间无法入户",
        new_deadline=dt.date(2026, 2, 28),
    )
    extension_decide(actor=people["dinghai"], extension_id=asked.pk, grant=True)
    assert SupervisionItem.objects.get(pk=item.pk).deadline == dt.date(2026, 2, 28)
    now(at(2026, 3, 2, 9))
    assert (
        _refused(
            lambda: extension_ask(
                actor=people["town"],
                item_id=item.pk,
                reason="再延",
                new_deadline=dt.date(2026, 4, 1),
            )
        )
        == "extension_too_late"
    )
    assert items_remind() == 1  # overdue: the unit and the raiser are told


def test_the_pages_walk_an_item(
    people: dict[str, Any], signed_in: Callable[[Any], Any], now: Any
) -> None:
    now(at(2026, 3, 1, 9))
    city = signed_in(people["city"])
    city.post(
        "/board/supervision/new/?unit=330902",
        {
            "title": "助餐覆盖率落后",
            "basis": "覆盖率低于目标",
            "unit": "330902",
            "deadline": "2026-03-31",
            "person": "李主任",
        },
    )
    item = SupervisionItem.objects.get()
    district = signed_in(people["dinghai"])
    district.post(f"/board/supervision/{item.pk}/", {"step": "accept"})
    district.post(f"/board/supervision/{item.pk}/", {"step": "report", "text": "新增送餐点"})
    city.post(f"/board/supervision/{item.pk}/", {"step": "close", "text": "同意"})
    assert SupervisionItem.objects.get().status == "closed"
    page = district.get(f"/board/supervision/{item.pk}/").content.decode()
    assert "签收" in page and "复核办结" in page


def test_an_item_raised_from_a_discovery_case_goes_to_its_town(
    people: dict[str, Any],
    signed_in: Callable[[Any], Any],
    make_elder: Callable[..., Any],
    now: Any,
) -> None:
    from tongzhou.discovery.models import DiscoveryCase, DiscoveryRule

    now(at(2026, 3, 1, 9))
    elder = make_elder("330902002001", birth=dt.date(1940, 1, 1), name="陈阿婆")
    rule = DiscoveryRule.objects.order_by("pk").first()
    assert rule is not None
    case = DiscoveryCase.objects.create(
        elder=elder, village=elder.residence, rule=rule, found_on=dt.date(2026, 3, 1)
    )
    district = signed_in(people["dinghai"])
    form = district.get(f"/board/supervision/new/?source=discovery&ref={case.pk}")
    text = form.content.decode()
    assert "主动发现线索跟进" in text and "陈*婆" in text and "陈阿婆" not in text
    district.post(
        f"/board/supervision/new/?source=discovery&ref={case.pk}",
        {
            "title": "西安社区主动发现线索跟进",
            "basis": "连续7天未就餐",
            "unit": "330902002",
            "deadline": "2026-03-20",
        },
    )
    item = SupervisionItem.objects.get()
    assert (item.source, item.source_ref, item.unit.code) == (
        "discovery",
        f"discovery:{case.pk}",
        "330902002",
    )
    # Another district's officer gets no brief of this case.
    other = signed_in(people["putuo"]).get(
        f"/board/supervision/new/?source=discovery&ref={case.pk}"
    )
    assert "陈*婆" not in other.content.decode()


def _given(people: dict[str, Any], unit: str, deadline: dt.date, title: str) -> SupervisionItem:
    return item_raise(
        actor=people["city"],
        title=title,
        source="instruction",
        basis="市局督办",
        unit=Region.objects.get(code=unit),
        deadline=deadline,
    )


def _closed(people: dict[str, Any], district: str, item: SupervisionItem) -> None:
    item_accept(actor=people[district], item_id=item.pk)
    item_report(actor=people[district], item_id=item.pk, text="已办理")
    item_review(actor=people["city"], item_id=item.pk, close=True, text="同意办结")


def test_units_are_reviewed_on_how_they_kept_their_deadlines(
    people: dict[str, Any], signed_in: Callable[[Any], Any], now: Any
) -> None:
    now(at(2026, 3, 1, 9))
    on_time = _given(people, "330902", dt.date(2026, 3, 10), "按期办结的事项")
    extended = _given(people, "330902", dt.date(2026, 3, 5), "延期后办结的事项")
    forgotten = _given(people, "330902", dt.date(2026, 3, 20), "逾期未办的事项")
    late = _given(people, "330903", dt.date(2026, 3, 3), "逾期办结的事项")
    not_due = _given(people, "330903", dt.date(2026, 6, 30), "尚未到期的事项")
    item_accept(actor=people["dinghai"], item_id=on_time.pk)
    item_report(actor=people["dinghai"], item_id=on_time.pk, text="第一次反馈")
    item_review(actor=people["city"], item_id=on_time.pk, close=False, text="请补充材料")
    item_report(actor=people["dinghai"], item_id=on_time.pk, text="已补充")
    item_review(actor=people["city"], item_id=on_time.pk, close=True, text="同意")
    now(at(2026, 3, 4, 9))
    asked = extension_ask(
        actor=people["dinghai"],
        item_id=extended.pk,
        reason="台风停航",
        new_deadline=dt.date(2026, 3, 12),
    )
    extension_decide(actor=people["city"], extension_id=asked.pk, grant=True)
    now(at(2026, 3, 11, 9))
    _closed(people, "dinghai", extended)  # a day before the deadline it was granted
    _closed(people, "putuo", late)  # eight days after its deadline
    day = dt.date(2026, 3, 25)
    reviews = {
        r.unit.code: r
        for r in units_review(people["city"], dt.date(2026, 1, 1), dt.date(2026, 3, 31), day)
    }
    dinghai, putuo = reviews["330902"], reviews["330903"]
    assert (dinghai.given, dinghai.closed, dinghai.closed_on_time) == (3, 2, 2)
    assert (dinghai.overdue_open, dinghai.sent_back, dinghai.more_time) == (1, 1, 1)
    assert dinghai.on_time_share == pytest.approx(2 / 3)
    assert (putuo.given, putuo.closed, putuo.closed_on_time, putuo.overdue_open) == (2, 1, 0, 0)
    assert putuo.on_time_share == 0.0  # the one not yet due is not held against it
    # A district sees its own units only; the page and the half-year draft say the same.
    assert [r.unit.code for r in units_review(people["putuo"], dt.date(2026, 1, 1), day, day)] == [
        "330903"
    ]
    now(at(2026, 3, 25, 9))
    page = signed_in(people["city"]).get("/board/supervision/").content.decode()
    assert "督考问效" in page and "67%" in page
    draft_page = signed_in(people["city"]).get("/board/summary/?period=2026S1").content.decode()
    assert "定海区：交办3件，办结2件，其中按期办结2件，按期办结率67%，逾期未办结1件，退办1次。" in (
        draft_page
    )
    assert forgotten.pk and not_due.pk


def test_an_item_raised_from_a_canteen_inspection_finding_goes_to_its_town(
    people: dict[str, Any], signed_in: Callable[[Any], Any], make_canteen: Any, now: Any
) -> None:
    from tongzhou.oversight.services import ChecklistPoint, FindingRow, inspection_record

    now(at(2026, 3, 1, 9))
    canteen = make_canteen("330902002001", name="西安社区幸福食堂")
    inspection = inspection_record(
        actor=people["town"], canteen_id=canteen.pk,
        checklist=[ChecklistPoint("留样冰箱", False, "留样冰箱温度12℃")],
        inspectors="镇民政办", findings=[FindingRow("留样冰箱温度超标", dt.date(2026, 3, 8))],
    )  # fmt: skip
    finding = inspection.findings.get()
    district = signed_in(people["dinghai"])
    form = district.get(f"/board/supervision/new/?source=finding&ref={finding.pk}").content.decode()
    assert "西安社区幸福食堂检查问题整改" in form and "留样冰箱温度超标" in form
    district.post(
        f"/board/supervision/new/?source=finding&ref={finding.pk}",
        {"title": "西安社区幸福食堂检查问题整改", "basis": "留样冰箱温度超标",
         "unit": "330902002", "deadline": "2026-03-08"},
    )  # fmt: skip
    item = SupervisionItem.objects.get()
    assert (item.source, item.source_ref, item.unit.code) == (
        "finding", f"finding:{finding.pk}", "330902002",
    )  # fmt: skip
    other = signed_in(people["putuo"]).get(
        f"/board/supervision/new/?source=finding&ref={finding.pk}"
    )
    assert "留样冰箱温度超标" not in other.content.decode()
