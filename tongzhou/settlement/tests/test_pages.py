"""Settlement in the pages: the roles take their steps, Excel and PDF exports carry the
figures, reconciliation agrees (and shows a planted difference with its sale), charts."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tongzhou.access.roles import Role
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import Counter
from tongzhou.settlement.models import Statement

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def test_the_roles_settle_a_month_through_the_pages(
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
    manager.post(opened["Location"], {"step": "submit"})
    town = signed_in(make_user(Role.TOWN_OFFICER, region="330902002"))
    assert statement.canteen.name in town.get("/settlement/").content.decode()  # waiting for it
    town.post(opened["Location"], {"step": "review"})
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    city.post(opened["Location"], {"step": "approve"})
    city.post(opened["Location"], {"step": "pay", "reference": "ZF-001"})
    statement.refresh_from_db()
    assert statement.status == "paid" and statement.payment_reference == "ZF-001"

    workbook = load_workbook(io.BytesIO(city.get(f"{opened['Location']}statement.xlsx").content))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert "市级财政" in cells and "市民政局批准" in cells
    payable = (
        f"{statement.totals['payable_fen'] // 100}.{statement.totals['payable_fen'] % 100:02d}"
    )
    assert payable in cells
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
