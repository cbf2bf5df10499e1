"""Settlement in the pages: the roles take their steps, Excel and PDF exports carry the
figures, reconciliation agrees (and shows a planted difference with its sale), charts."""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tongzhou.access.roles import Role
from tongzhou.core.money import yuan_in_words
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import Counter
from tongzhou.settlement.models import Statement

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def test_the_roles_settle_a_month_through_the_pages(
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
    counter: Counter,
    make_member: Callable[..., Any],
    make_user: Callable[..., Any],
    lunch_time: Callable[[dt.datetime], None],
    signed_in: Callable[[Any], Client],
) -> None:
    for _ in range(3):
        _elder, card = make_member(own_fen=10000)
        key = uuid.uuid4().hex
        counter.client().post(
            "/api/v1/checkout",
            {
                "card": card,
                "session": "lunch",
                "lines": [{"amount_fen": 1200}],
                "receipt_no": key[:20],
            },
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    lunch_time(dt.datetime(2026, 4, 2, 9, 0, tzinfo=TZ))
    manager = signed_in(make_user(Role.CANTEEN_MANAGER, canteen=counter.canteen))
    opened = manager.post("/settlement/", {"canteen": counter.canteen.pk})
    statement = Statement.objects.get()
    assert opened["Location"] == f"/settlement/{statement.pk}/"
    page = manager.get(opened["Location"]).content.decode()
    assert "市级财政" in page and 'value="submit"' in page
    assert "data-confirm=" in page  # the step asks before it fixes the month's figures
    manager.post(opened["Location"], {"step": "submit", "comment": "三月份共三笔"})
    town = signed_in(make_user(Role.TOWN_OFFICER, region="330902002"))
    assert statement.canteen.name in town.get("/settlement/").content.decode()  # waiting for it
    # Sent back with a reason the canteen reads on the statement, then passed with a comment.
    with (
        caplog.at_level(logging.INFO, logger="tongzhou.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        town.post(opened["Location"], {"step": "return", "reason": "请附上菜单"})
    (told,) = [r.getMessage() for r in caplog.records if r.name == "tongzhou.notify"]
    assert "结算单被退回：请附上菜单" in told  # the canteen's manager hears of it
    seen = manager.get(opened["Location"]).content.decode()
    assert "请附上菜单" in seen and "退回" in seen
    manager.post(opened["Location"], {"step": "submit"})
    town.post(opened["Location"], {"step": "review", "comment": "已核对刷卡记录"})
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    city.post(opened["Location"], {"step": "approve"})
    city.post(opened["Location"], {"step": "pay", "reference": "ZF-001"})
    statement.refresh_from_db()
    assert statement.status == "paid" and statement.payment_reference == "ZF-001"
    steps = list(statement.comments.values_list("step", "text"))
    assert steps == [
        ("submit", "三月份共三笔"), ("return", "请附上菜单"), ("submit", ""),
        ("review", "已核对刷卡记录"), ("approve", ""), ("pay", "ZF-001"),
    ]  # fmt: skip
    page = manager.get(opened["Location"]).content.decode()
    assert "已核对刷卡记录" in page and "已付款" in page
    payable_fen = statement.totals["payable_fen"]
    assert yuan_in_words(payable_fen) in page  # the total in capital numerals

    workbook = load_workbook(io.BytesIO(city.get(f"{opened['Location']}statement.xlsx").content))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert "市级财政" in cells and "市民政局批准" in cells and "已核对刷卡记录" in cells
    # Amounts are numbers Excel can sum, in yuan with two decimals, and the total is in words.
    total_row = next(row for row in workbook.active.iter_rows() if row[0].value == "应结算合计")
    assert total_row[3].value == Decimal(payable_fen) / 100
    assert total_row[3].data_type == "n" and total_row[3].number_format == "#,##0.00"
    assert yuan_in_words(payable_fen) in cells
    assert not any(isinstance(c, str) and c in ("dibao", "none", "district") for c in cells)
    pdf = city.get(f"{opened['Location']}statement.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content

    verdict = city.get(f"/settlement/reconcile/{statement.period_id}/").content.decode()
    assert "不一致" not in verdict and 'class="ok"' in verdict
    out = StringIO()
    call_command("reconcile", "2026-03", stdout=out)
    assert "agree to the fen" in out.getvalue()
    # A sale whose record no longer matches its postings is found, with its receipt.
    meal = Meal.objects.filter(city_fen__gt=0).first()
    assert meal is not None
    Meal.objects.filter(pk=meal.pk).update(
        city_fen=F("city_fen") - 1, district_fen=F("district_fen") + 1
    )
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("reconcile", "2026-03", stdout=out)
    assert meal.receipt_no in out.getvalue() and "differs" in out.getvalue()

    charts = city.get("/settlement/charts/").content.decode()
    assert 'data-testid="chart-meals"' in charts and "定海区" in charts
    assert city.get("/settlement/charts/?format=xlsx").status_code == 200


def test_officials_take_the_months_meals_and_the_register_to_excel(
    counter: Counter,
    make_member: Callable[..., Any],
    make_user: Callable[..., Any],
    signed_in: Callable[[Any], Client],
) -> None:
    from urllib.parse import unquote

    from tongzhou.audit.models import AuditEvent

    for _ in range(3):
        _elder, card = make_member(own_fen=10000)
        key = uuid.uuid4().hex
        counter.client().post(
            "/api/v1/checkout",
            {"card": card, "session": "lunch", "lines": [{"amount_fen": 1200}],
             "receipt_no": key[:20]},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )  # fmt: skip
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    page = city.get("/exports/").content.decode()
    assert 'data-testid="export-meals"' in page and 'data-testid="export-elders"' in page

    answer = city.get("/exports/meals.xlsx?month=2026-03")
    assert "用餐明细-202603.xlsx" in unquote(answer["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(answer.getvalue())).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[1]]
    assert header[:3] == ["日期", "餐次", "食堂"] and "消费（元）" in header
    sales, totals = rows[2:-1], rows[-1]
    assert len(sales) == 3 and totals[0].value == "合计（3行）"
    total = header.index("消费（元）")
    assert all(row[total].value == Decimal("12") and row[total].data_type == "n" for row in sales)
    assert totals[total].value == Decimal("36") and totals[total].number_format == "#,##0.00"
    assert sales[0][1].value == "午餐" and sales[0][0].is_date
    assert sum(row[header.index("老人")].value.count("*") for row in sales) >= 3  # names masked

    register = city.get("/exports/elders.xlsx?status=active")
    people = list(load_workbook(io.BytesIO(register.getvalue())).active.values)
    assert len(people) == 2 + 3  # title, header, three elders
    assert all("*" in row[3] for row in people[2:])  # ID numbers partly hidden
    assert AuditEvent.objects.filter(action="elder.export").exists()
    assert city.get("/exports/alerts.xlsx?state=open").status_code == 200
    # A cashier has no exports, and the address answers as if there were none.
    cashier = signed_in(make_user(Role.CASHIER, canteen=counter.canteen))
    assert cashier.get("/exports/meals.xlsx?month=2026-03").status_code == 404
