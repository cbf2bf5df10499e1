import random
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongzhou.accounts.models import User
from tongzhou.canteens.models import Canteen, Terminal
from tongzhou.core import clock
from tongzhou.demo.generator import build_elders
from tongzhou.elders.ages import age_on
from tongzhou.elders.models import CategoryMembership, Elder

pytestmark = pytest.mark.django_db


def test_same_seed_same_people() -> None:
    def people(seed: int) -> list[tuple[str, str, int]]:
        elders, _ = build_elders(random.Random(seed), 500)
        return [(e.name, e.id_number_masked, e.residence_id) for e in elders]

    assert people(7) == people(7)
    assert people(7) != people(8)


def test_small_scale_builds_a_plausible_city(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # the terminal credentials file goes here
    out = StringIO()
    call_command("generate_demo", "--scale", "small", stdout=out)
    assert "3000 elders" in out.getvalue() and "password 'tongzhou-demo'" in out.getvalue()
    assert Elder.objects.count() == 3000
    # The 11 canteens, and the one the demo takes from application to selling.
    assert Canteen.objects.count() == 12
    assert Terminal.objects.devices().count() == 22  # its counter too
    from tongzhou.bookings.models import Booking, BookingPlan, WellnessAlert

    assert Canteen.objects.filter(delivers=True).count() == 3
    assert BookingPlan.objects.filter(mode="delivery").count() > 0
    assert Booking.objects.filter(
        date=clock.today(), status="delivered", meal__isnull=False
    ).exists()
    assert WellnessAlert.objects.filter(closed_at__isnull=True).count() == 1
    # Last month can be settled at once, and a planted card lent across islands awaits review.
    from tongzhou.demo.history import last_month
    from tongzhou.settlement.models import AnomalyCase
    from tongzhou.settlement.reconcile import reconcile
    from tongzhou.settlement.services import statement_for, statement_submit

    first, _last = last_month(clock.today())
    assert list(AnomalyCase.objects.values_list("kind", flat=True)) == ["travel"]
    manager = User.objects.get(username="canteen1")
    statement = statement_for(actor=manager, canteen=manager.canteen, day=first)
    statement_submit(actor=manager, statement_id=statement.pk)
    statement.refresh_from_db()
    assert statement.totals["sales"]["count"] > 20
    assert reconcile(statement.period).ok
    assert len((tmp_path / "demo-terminals.txt").read_text().splitlines()) == 22
    assert User.objects.filter(username__in=["admin", "city", "dinghai", "cashier1"]).count() == 4
    assert CategoryMembership.objects.exists()
    from tongzhou.canteens.models import Menu
    from tongzhou.identity.models import Card
    from tongzhou.ledger.services import ledger_check

    active = Elder.objects.filter(status="active").count()
    # Cards were made for everyone then active; the care demo records one death today.
    planted_death = Elder.objects.filter(status="deceased", died_on=clock.today()).count()
    assert planted_death == 1
    assert Card.objects.count() == active + planted_death
    # Care: orders in every state, visits due, overdue and done, a follow-up, discovery cases.
    from tongzhou.care.models import Entitlement, OrderStatus, ServiceOrder
    from tongzhou.discovery.models import DiscoveryCase
    from tongzhou.visits.models import FollowUp, ScheduledVisit

    assert set(ServiceOrder.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert Entitlement.objects.filter(valid_to__isnull=True).count() > 10 * active
    assert {"open", "missed", "done", "done_late"} <= set(
        ScheduledVisit.objects.values_list("status", flat=True)
    )
    assert FollowUp.objects.filter(closed_at__isnull=True).exists()
    # Last month's records in a statement the district closed, waiting for the city.
    from tongzhou.care.models import ProviderStatement

    closed = ProviderStatement.objects.get()
    assert closed.status == "closed" and closed.totals["orders"] > 0
    assert closed.period.ends_on < clock.today().replace(day=1)
    assert {"missed-visit", "entitled-after-death"} <= set(
        DiscoveryCase.objects.values_list("rule__code", flat=True)
    )
    assert ledger_check() == []
    assert Menu.objects.filter(date=clock.today()).exists()
    # Every district has elders; outer islands are older than the main island on average.
    districts = {e.residence.code[:6] for e in Elder.objects.select_related("residence")}
    assert districts == {"330902", "330903", "330921", "330922"}
    today = clock.today()
    main: list[int] = []
    outer: list[int] = []
    for elder in Elder.objects.select_related("residence__island"):
        (main if elder.residence.island.is_main_island else outer).append(
            age_on(elder.birth_date, today)
        )
    assert sum(outer) / len(outer) > sum(main) / len(main)
    # Running it again keeps the data (as `make run` does).
    again = StringIO()
    call_command("generate_demo", "--scale", "small", "--if-empty", stdout=again)
    assert "already present (3000 elders)" in again.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_demo", "--scale", "small", stdout=StringIO())
