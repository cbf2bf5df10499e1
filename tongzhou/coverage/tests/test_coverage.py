"""The village coverage rate from live data: a canteen there, one within reach on the same
island, or deliveries in the last 30 days; every other village listed with its reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.bookings.models import Booking, BookingStatus
from tongzhou.core import clock
from tongzhou.coverage.selectors import REACH_KM, coverage_report
from tongzhou.geo.models import Region

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 31)
DINGHAI = "330902"


def test_coverage_counts_canteens_reach_and_recent_deliveries(
    make_canteen: Callable[..., Any],
    make_elder: Callable[..., Any],
    superuser: Any,
    make_user: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    noon = dt.datetime(2026, 3, 31, 12, tzinfo=timezone.get_default_timezone())
    monkeypatch.setattr(clock, "now", lambda: noon)
    villages = list(Region.objects.filter(level="village", path__startswith=f"330900/{DINGHAI}/"))
    canteen = make_canteen(villages[0].code)
    officer = make_user(Role.DISTRICT_OFFICER, region=DINGHAI)
    before = coverage_report(actor=officer, day=DAY)
    (district,) = before.districts
    assert district.total == len(villages)
    near = {v.village.code for v in district.villages if v.how == "canteen_near"}
    for row in district.villages:
        if row.how == "canteen_near":
            assert row.nearest == canteen and row.nearest_km is not None
            assert row.nearest_km <= REACH_KM and row.village.island_id == canteen.island_id
    assert next(v for v in district.villages if v.village == villages[0]).how == "canteen_here"

    far = next(v.village for v in district.uncovered if v.village.island_id == canteen.island_id)
    elder = make_elder(far.code)
    for days_ago, status in ((40, BookingStatus.DELIVERED), (3, BookingStatus.NOT_DELIVERED)):
        Booking.objects.create(
            elder=elder,
            canteen=canteen,
            date=DAY - dt.timedelta(days=days_ago),
            session="lunch",
            mode="delivery",
            status=status,
            booked_by="t",
            delivered_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
    # A delivery 40 days ago and a missed one do not count ...
    assert far in [
        v.village for v in coverage_report(actor=officer, day=DAY).districts[0].uncovered
    ]
    Booking.objects.create(
        elder=elder,
        canteen=canteen,
        date=DAY - dt.timedelta(days=5),
        session="dinner",
        mode="delivery",
        status=BookingStatus.DELIVERED,
        booked_by="t",
        delivered_at=dt.datetime(2026, 3, 26, tzinfo=dt.UTC),
    )
    after = coverage_report(actor=officer, day=DAY).districts[0]
    assert next(v for v in after.villages if v.village == far).how == "delivery"
    assert after.covered == 1 + len(near) + 1
    assert after.rate == pytest.approx(after.covered / len(villages))
    reasons = {v.reason_zh for v in after.uncovered}
    assert all(reasons) and any("公里" in r or "本岛" in r for r in reasons)

    city = coverage_report(actor=superuser, day=DAY)
    assert len(city.districts) == 4 and city.total == Region.objects.filter(level="village").count()
    client = Client()
    client.force_login(officer)
    page = client.get("/coverage/")
    assert page.status_code == 200
    assert f"{after.percent}%" in page.content.decode()
    assert far.name not in [v.village.name for v in after.uncovered]


def test_the_coverage_page_filters_pages_and_exports(
    make_canteen: Callable[..., Any], make_user: Callable[..., Any], signed_in: Any
) -> None:
    """An official narrows the list by district, town and island, pages through it, and
    takes the same villages to Excel with numbers as numbers and a totals row."""
    import io
    from urllib.parse import unquote

    from openpyxl import load_workbook

    make_canteen("330902002001")
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    page = city.get("/coverage/").content.decode()
    assert page.count('data-testid="uncovered"') == 50  # a page at a time
    assert "?status=uncovered&amp;page=2" in page
    town = "330902002"
    narrowed = city.get(f"/coverage/?district=330902&town={town}&status=all").content.decode()
    in_town = Region.objects.filter(level="village", code__startswith=town).count()
    assert narrowed.count('data-testid="covered"') + narrowed.count(
        'data-testid="uncovered"'
    ) == min(in_town, 50)
    assert 'data-testid="chart-coverage"' in narrowed and "昌国街道" in narrowed
    # The chart compares the towns of the chosen district.
    assert '"categories": ["' in narrowed

    answer = city.get(f"/coverage/?district=330902&town={town}&status=all&format=xlsx")
    assert answer.status_code == 200
    assert "助餐服务覆盖" in unquote(answer["Content-Disposition"])  # a Chinese file name
    sheet = load_workbook(io.BytesIO(answer.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("区县", "镇（街道）", "村（社区）")
    villages = rows[2:-1]
    assert len(villages) == in_town and rows[-1][0] == f"合计（{in_town}行）"
    assert {row[4] for row in villages} <= {"是", "否"}
    covered = [row for row in villages if row[4] == "是"]
    assert covered and all(isinstance(row[8], int) for row in villages)
    assert all(row[5] for row in covered) and all(row[9] for row in villages if row[4] == "否")
