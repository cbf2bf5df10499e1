"""A provider's month: closed by the district (its approved records fixed once), approved by
the city (the government's and charity's shares posted in the ledger as owed to the
provider) and paid; a record approved late comes into the next month as an adjustment."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongzhou.access.roles import Role
from tongzhou.care.models import Provider, ProviderStatement, ServiceItem, ServiceOrder
from tongzhou.care.selectors import provider_month
from tongzhou.care.services import (
    Position,
    order_accept,
    order_check_in,
    order_check_out,
    order_confirm,
    order_create,
    order_dispatch,
    order_finish_unconfirmed,
    order_review,
    provider_statement_approve,
    provider_statement_close,
    provider_statement_pay,
)
from tongzhou.care.tests.conftest import VILLAGE, at
from tongzhou.core.errors import DomainError
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.identity.services import card_issue
from tongzhou.ledger.models import Account, AccountKind, Entry
from tongzhou.ledger.services import balance_of, ledger_check

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def elder(make_elder: Callable[..., Any], superuser: Any, care_list: None, now: Any) -> Any:
    now(at(2026, 3, 2, 9))
    person = make_elder(VILLAGE, birth=dt.date(1944, 6, 1))
    membership_add(
        actor=superuser,
        elder=person,
        category=Category.objects.get(code="dibao"),
        valid_from=dt.date(2025, 1, 1),
    )
    card_issue(actor=superuser, elder=person, number="3309001234567")
    # Charity pays a fifth of cleaning here, so that both funds owe the provider.
    ServiceItem.objects.filter(code="S21").update(government_bp=8000, charity_bp=2000)
    return person


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "village": make_user(Role.VILLAGE_WORKER, region=VILLAGE),
        "town": make_user(Role.TOWN_OFFICER, region="330902002"),
        "district": make_user(Role.DISTRICT_OFFICER, region="330902"),
        "city": make_user(Role.CITY_BUREAU, region="330900"),
    }


def _record(
    staff: dict[str, Any], carer: Any, provider: Provider, elder: Any, now: Any, day: int,
    *, confirmed: bool = True,
) -> ServiceOrder:  # fmt: skip
    """A cleaning record on `day` of March, at the door for an hour (confirmed: approved)."""
    now(at(2026, 3, day, 8))
    order = order_create(actor=staff["village"], elder=elder, item_code="S21", quantity=1)
    order_dispatch(actor=staff["village"], order_id=order.pk, provider=provider)
    order_accept(actor=carer, order_id=order.pk, window_start=at(2026, 3, day, 9),
                 window_end=at(2026, 3, day, 11))  # fmt: skip
    door = Position(lon=elder.residence.lon, lat=elder.residence.lat, accuracy_m=10)
    now(at(2026, 3, day, 9))
    order_check_in(actor=carer, order_id=order.pk, position=door)
    now(at(2026, 3, day, 10, 5))
    photo = SimpleUploadedFile("p.jpg", f"photo-{order.pk}".encode(), "image/jpeg")
    order_check_out(actor=carer, order_id=order.pk, position=door, photo=photo)
    if confirmed:
        return order_confirm(actor=carer, order_id=order.pk, credential="3309001234567")
    return order_finish_unconfirmed(actor=carer, order_id=order.pk, why="老人外出")


def _close(actor: Any, provider: Provider, month: dt.date = MARCH) -> ProviderStatement:
    return provider_statement_close(actor=actor, provider_id=provider.pk, month=month)


def _refused(work: Callable[[], Any]) -> str:
    with pytest.raises(DomainError) as refused:
        work()
    return refused.value.code


def test_a_month_is_closed_approved_posted_and_paid(
    staff: dict[str, Any], carer_user: Any, provider: Provider, elder: Any, now: Any
) -> None:
    first = _record(staff, carer_user, provider, elder, now, 10)
    second = _record(staff, carer_user, provider, elder, now, 17)
    held = _record(staff, carer_user, provider, elder, now, 24, confirmed=False)
    assert (first.status, second.status, held.status) == ("approved", "approved", "review")
    assert _refused(lambda: _close(staff["district"], provider)) == "period_not_over"

    now(at(2026, 4, 2, 9))
    [line] = provider_month(staff["district"], MARCH)
    assert line.statement is None and (line.held, line.held_fen) == (1, 4000)
    assert (line.figures["orders"], line.figures["payable_fen"]) == (2, 8000)
    # The town does not close a district provider's month; the district does.
    assert _refused(lambda: _close(staff["town"], provider)) == "not_found"
    statement = provider_statement_close(
        actor=staff["district"], provider_id=provider.pk, month=MARCH
    )
    assert statement.totals == {
        "orders": 2, "adjustments": 0, "price_fen": 8000, "government_fen": 6400,
        "charity_fen": 1600, "elder_fen": 0, "payable_fen": 8000,
    }  # fmt: skip
    assert set(statement.orders.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert _refused(lambda: _close(staff["district"], provider)) == "care_statement_closed"

    # Only the city approves; approving posts what the funds owe in one balanced journal.
    assert _refused(lambda: provider_statement_approve(
        actor=staff["district"], statement_id=statement.pk)) == "permission_denied"  # fmt: skip

    def pay(reference: str) -> Any:
        return provider_statement_pay(
            actor=staff["city"], statement_id=statement.pk, reference=reference
        )

    assert _refused(lambda: pay("X1")) == "statement_wrong_step"
    approved = provider_statement_approve(actor=staff["city"], statement_id=statement.pk)
    provider.refresh_from_db()
    assert approved.journal is not None and provider.account is not None
    lines = dict(
        Entry.objects.filter(journal=approved.journal).values_list("account__kind", "amount_fen")
    )
    assert lines == {
        AccountKind.PROVIDER_RECEIVABLE: 8000,
        AccountKind.DISTRICT_FUND: -6400,
        AccountKind.CHARITY_FUND: -1600,
    }
    district_fund = Account.objects.get(kind=AccountKind.DISTRICT_FUND, region__code="330902")
    assert balance_of(provider.account) == 8000 and balance_of(district_fund) == -6400
    assert ledger_check() == []

    assert _refused(lambda: pay(" ")) == "payment_reference_required"
    paid = provider_statement_pay(
        actor=staff["city"], statement_id=statement.pk, reference="SP-0401"
    )
    assert (paid.status, paid.payment_reference) == ("paid", "SP-0401")

    # The held record approved in April comes into April's statement, marked as from March.
    now(at(2026, 4, 3, 9))
    order_review(actor=staff["district"], order_id=held.pk, approve=True, note="回访核实已服务")
    now(at(2026, 5, 2, 9))
    [line] = provider_month(staff["district"], dt.date(2026, 4, 1))
    assert (line.figures["orders"], line.figures["adjustments"]) == (1, 1)
    april = provider_statement_close(
        actor=staff["district"], provider_id=provider.pk, month=dt.date(2026, 4, 1)
    )
    assert (april.totals["orders"], april.totals["adjustments"]) == (1, 1)
    assert list(april.orders.values_list("pk", flat=True)) == [held.pk]
    assert ProviderStatement.objects.get(pk=statement.pk).totals == statement.totals


def test_an_earlier_month_is_closed_first(
    staff: dict[str, Any], carer_user: Any, provider: Provider, elder: Any, now: Any
) -> None:
    _record(staff, carer_user, provider, elder, now, 10)
    now(at(2026, 5, 2, 9))
    assert _refused(lambda: provider_statement_close(
        actor=staff["district"], provider_id=provider.pk, month=dt.date(2026, 4, 1)
    )) == "earlier_statement_open"  # fmt: skip
    assert not ProviderStatement.objects.exists()
    assert ServiceOrder.objects.filter(statement__isnull=False).count() == 0


def test_the_settlement_page_takes_each_step_where_it_shows(
    staff: dict[str, Any],
    carer_user: Any,
    provider: Provider,
    elder: Any,
    now: Any,
    signed_in: Callable[[Any], Any],
) -> None:
    from openpyxl import load_workbook

    _record(staff, carer_user, provider, elder, now, 10)
    now(at(2026, 4, 2, 9))
    district, city = signed_in(staff["district"]), signed_in(staff["city"])
    page = district.get("/care/settlement/?month=2026-03").content.decode()
    assert 'data-testid="close"' in page and 'data-testid="approve"' not in page
    district.post(
        "/care/settlement/", {"month": "2026-03", "step": "close", "provider": provider.pk}
    )
    statement = ProviderStatement.objects.get()
    page = city.get("/care/settlement/?month=2026-03").content.decode()
    assert 'data-testid="approve"' in page and "¥40.00" in page
    city.post(
        "/care/settlement/", {"month": "2026-03", "step": "approve", "statement": statement.pk}
    )
    city.post("/care/settlement/", {"month": "2026-03", "step": "pay", "statement": statement.pk,
                                    "reference": "SP-0401"})  # fmt: skip
    statement.refresh_from_db()
    assert statement.status == "paid"
    detail = district.get(f"/care/settlement/{statement.pk}/").content.decode()
    assert "SP-0401" in detail and elder.name not in detail
    answer = district.get(f"/care/settlement/{statement.pk}/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    amounts = [row[7:11] for row in sheet.iter_rows(values_only=True) if isinstance(row[1], int)]
    assert amounts == [(40.0, 32.0, 8.0, 0)]
    # The village worker sees the statement its record is in; another district's does not.
    assert signed_in(staff["village"]).get(f"/care/settlement/{statement.pk}/").status_code == 200
