"""Role × resource matrix: each user sees and changes only their own area.

Two of everything: one in 定海区 (昌国街道 西安社区) and one in 普陀区 (沈家门街道 新街社区).
For every actor, every read path (API detail, API list, CSV export, admin page) and every write
path (admin form, services) either succeeds or answers 403/404 and changes nothing. Expected
outcomes are written out by hand, not derived from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.audit.models import AuditEvent
from tongzhou.canteens import services as canteen_services
from tongzhou.canteens.models import Canteen, Terminal
from tongzhou.core.errors import DomainError
from tongzhou.elders import services as elder_services
from tongzhou.elders.models import Elder

pytestmark = pytest.mark.django_db

DH, PT = "dh", "pt"
ACTORS = [
    "super", "city", "district_dh", "district_pt", "town_dh", "village_dh", "village_dh_other",
    "auditor_city", "auditor_pt", "manager_dh", "cashier_dh", "courier_dh", "manager_pt",
]  # fmt: skip
ELDER_READ = {
    DH: {"super", "city", "district_dh", "town_dh", "village_dh", "auditor_city"},
    PT: {"super", "city", "district_pt", "auditor_city", "auditor_pt"},
}
ELDER_WRITE = {
    DH: {"super", "city", "district_dh", "town_dh", "village_dh"},
    PT: {"super", "city", "district_pt"},
}
CANTEEN_READ = {
    DH: {"super", "city", "district_dh", "town_dh", "village_dh", "auditor_city",
         "manager_dh", "cashier_dh", "courier_dh"},
    PT: {"super", "city", "district_pt", "auditor_city", "auditor_pt", "manager_pt"},
}  # fmt: skip
CANTEEN_WRITE = {
    DH: {"super", "city", "district_dh", "town_dh"},
    PT: {"super", "city", "district_pt"},
}
TERMINAL_MANAGE = {
    DH: {"super", "city", "district_dh", "town_dh", "manager_dh"},
    PT: {"super", "city", "district_pt", "manager_pt"},
}
AUDIT_READ = {
    DH: {"super", "city", "district_dh", "town_dh", "auditor_city"},
    PT: {"super", "city", "district_pt", "auditor_city", "auditor_pt"},
}
CANTEEN_STAFF = {"manager_dh", "cashier_dh", "courier_dh", "manager_pt"}  # read no elders
DENIED = (403, 404)


@dataclass
class World:
    actors: dict[str, User]
    elders: dict[str, Elder]
    canteens: dict[str, Canteen]
    terminals: dict[str, Terminal]


@pytest.fixture
def world(make_user: Any, make_canteen: Any, make_elder: Any, superuser: User) -> World:
    canteens = {DH: make_canteen("330902002001"), PT: make_canteen("330903001001")}
    terminals = {
        key: canteen_services.terminal_create(actor=superuser, canteen=c, name="台1").terminal
        for key, c in canteens.items()
    }
    elders = {
        DH: make_elder("330902002001", name="定海老人"),
        PT: make_elder("330903001001", name="普陀老人"),
    }
    actors = {
        "super": superuser,
        "city": make_user(Role.CITY_BUREAU, region="330900"),
        "district_dh": make_user(Role.DISTRICT_OFFICER, region="330902"),
        "district_pt": make_user(Role.DISTRICT_OFFICER, region="330903"),
        "town_dh": make_user(Role.TOWN_OFFICER, region="330902002"),
        "village_dh": make_user(Role.VILLAGE_WORKER, region="330902002001"),
        "village_dh_other": make_user(Role.VILLAGE_WORKER, region="330902002002"),
        "auditor_city": make_user(Role.AUDITOR, region="330900"),
        "auditor_pt": make_user(Role.AUDITOR, region="330903"),
        "manager_dh": make_user(Role.CANTEEN_MANAGER, canteen=canteens[DH]),
        "cashier_dh": make_user(Role.CASHIER, canteen=canteens[DH]),
        "courier_dh": make_user(Role.DELIVERY_VOLUNTEER, canteen=canteens[DH]),
        "manager_pt": make_user(Role.CANTEEN_MANAGER, canteen=canteens[PT]),
    }
    return World(actors, elders, canteens, terminals)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("actor", ACTORS)
def test_elder_reads(world: World, actor: str) -> None:
    client = _client(world.actors[actor])
    listed = client.get("/api/v1/elders", {"limit": 100})
    exported = client.get("/api/v1/elders/export.csv")
    for key, elder in world.elders.items():
        allowed = actor in ELDER_READ[key]
        detail = client.get(f"/api/v1/elders/{elder.pk}")
        page = client.get(f"/admin/elders/elder/{elder.pk}/change/")
        if allowed:
            assert detail.status_code == 200, (actor, key)
            assert detail.json()["id_number_masked"] == elder.id_number_masked
            assert page.status_code == 200, (actor, key)
            assert elder.id_number_masked in page.content.decode()
        else:
            assert detail.status_code in DENIED, (actor, key, detail.status_code)
            assert detail.json()["error"]["code"] in ("not_found", "permission_denied")
            assert page.status_code in DENIED, (actor, key, page.status_code)
        in_list = listed.status_code == 200 and elder.pk in {
            row["id"] for row in listed.json()["items"]
        }
        assert in_list == allowed, (actor, key)
        in_export = exported.status_code == 200 and elder.name in exported.content.decode()
        assert in_export == allowed, (actor, key)
    if actor in CANTEEN_STAFF:
        assert listed.status_code == exported.status_code == 403


def _admin_elder_form(elder: Elder, new_name: str) -> dict[str, Any]:
    return {
        "name": new_name,
        "residence": elder.residence_id,
        "address": "",
        "hukou_region": "",
        "hukou_note": "",
        "living_arrangement": elder.living_arrangement,
        "status": elder.status,
        "moved_on": "",
        "died_on": "",
        "new_phone": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("actor", ACTORS)
def test_elder_writes_through_the_admin(world: World, actor: str) -> None:
    client = _client(world.actors[actor])
    for key, elder in world.elders.items():
        events = AuditEvent.objects.count()
        response = client.post(
            f"/admin/elders/elder/{elder.pk}/change/", _admin_elder_form(elder, "改过的名字")
        )
        elder.refresh_from_db()
        if actor in ELDER_WRITE[key]:
            assert response.status_code == 302, (actor, key, response.content[:2000])
            assert elder.name == "改过的名字"
            event = AuditEvent.objects.filter(action="elder.update").latest("id")
            assert event.actor == world.actors[actor]
            assert event.after == {"name": "改过的名字"}
            elder_services.elder_update(
                actor=world.actors["super"], elder=elder, changes={"name": "还原"}
            )
        else:
            assert response.status_code in DENIED, (actor, key, response.status_code)
            assert elder.name != "改过的名字"
            assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("actor", ACTORS)
def test_elder_writes_through_services(world: World, actor: str) -> None:
    user = world.actors[actor]
    for key, elder in world.elders.items():
        if actor in ELDER_WRITE[key]:
            elder_services.elder_update(actor=user, elder=elder, changes={"address": actor})
            elder.refresh_from_db()
            assert elder.address == actor
        else:
            events = AuditEvent.objects.count()
            with pytest.raises(DomainError) as caught:
                elder_services.elder_update(actor=user, elder=elder, changes={"address": actor})
            assert caught.value.status in DENIED
            elder.refresh_from_db()
            assert elder.address != actor
            assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("actor", ACTORS)
def test_canteen_reads_and_writes(world: World, actor: str) -> None:
    user = world.actors[actor]
    client = _client(user)
    listed = client.get("/api/v1/canteens", {"limit": 100})
    listed_ids = (
        {row["id"] for row in listed.json()["items"]} if listed.status_code == 200 else set()
    )
    for key, canteen in world.canteens.items():
        detail = client.get(f"/api/v1/canteens/{canteen.pk}")
        page = client.get(f"/admin/canteens/canteen/{canteen.pk}/change/")
        if actor in CANTEEN_READ[key]:
            assert detail.status_code == 200 and page.status_code == 200, (actor, key)
            assert canteen.pk in listed_ids
        else:
            assert detail.status_code in DENIED and page.status_code in DENIED, (actor, key)
            assert canteen.pk not in listed_ids

        canteen.seats = 99
        if actor in CANTEEN_WRITE[key]:
            canteen_services.canteen_save(actor=user, canteen=canteen)
            assert Canteen.objects.get(pk=canteen.pk).seats == 99
            canteen.seats = 40
            canteen_services.canteen_save(actor=world.actors["super"], canteen=canteen)
        else:
            with pytest.raises(DomainError) as caught:
                canteen_services.canteen_save(actor=user, canteen=canteen)
            assert caught.value.status in DENIED
            canteen.seats = 40
        assert Canteen.objects.get(pk=canteen.pk).seats == 40


@pytest.mark.parametrize("actor", ACTORS)
def test_terminal_management(world: World, actor: str) -> None:
    user = world.actors[actor]
    client = _client(user)
    changelist = client.get("/admin/canteens/terminal/")
    for key, terminal in world.terminals.items():
        shown = changelist.status_code == 200 and terminal.key_id in changelist.content.decode()
        before = Terminal.objects.get(pk=terminal.pk).secret_hash
        if actor in TERMINAL_MANAGE[key]:
            assert shown, (actor, key)
            issued = canteen_services.terminal_rotate(actor=user, terminal=terminal)
            assert Terminal.objects.get(pk=terminal.pk).secret_hash != before
            assert canteen_services.terminal_authenticate(issued.credential).pk == terminal.pk
        else:
            assert not shown, (actor, key)
            with pytest.raises(DomainError) as caught:
                canteen_services.terminal_rotate(actor=user, terminal=terminal)
            assert caught.value.status in DENIED
            assert Terminal.objects.get(pk=terminal.pk).secret_hash == before


@pytest.mark.parametrize("actor", ACTORS)
def test_audit_log_visibility(world: World, actor: str) -> None:
    client = _client(world.actors[actor])
    response = client.get("/admin/audit/auditevent/", {"action": "elder.create"})
    for key, elder in world.elders.items():
        event = AuditEvent.objects.get(action="elder.create", object_id=str(elder.pk))
        detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
        if actor in AUDIT_READ[key]:
            assert response.status_code == 200
            assert elder.name in response.content.decode(), (actor, key)
            assert detail.status_code == 200
        else:
            assert response.status_code in DENIED or elder.name not in response.content.decode()
            assert detail.status_code in DENIED, (actor, key)


# Charity funds serving each actor's area: city-wide, and earmarked inside or above it.
FUND_READ = {
    "city-wide": {"super", "city", "district_dh", "district_pt", "town_dh", "auditor_city",
                  "auditor_pt"},
    DH: {"super", "city", "district_dh", "town_dh", "auditor_city"},
    PT: {"super", "city", "district_pt", "auditor_city", "auditor_pt"},
}  # fmt: skip
# Who may open a canteen's draft statement (those who take a step on it).
STATEMENT_OPEN = {
    DH: {"super", "city", "district_dh", "town_dh", "manager_dh"},
    PT: {"super", "city", "district_pt", "manager_pt"},
}


@pytest.mark.parametrize("actor", ACTORS)
def test_admin_filters_and_menus_name_only_the_actor_s_canteens(world: World, actor: str) -> None:
    from tongzhou.canteens.models import Dish, Menu

    dishes = {key: Dish.objects.create(canteen=c, name=f"{key}红烧鱼", price_fen=1200)
              for key, c in world.canteens.items()}  # fmt: skip
    menu = Menu.objects.create(canteen=world.canteens[DH], date="2026-03-12", session="lunch")
    client = _client(world.actors[actor])
    for page in ("/admin/canteens/dish/", "/admin/canteens/menu/", "/admin/meals/meal/"):
        text = client.get(page).content.decode()
        for key, canteen in world.canteens.items():
            if actor not in CANTEEN_READ[key]:
                assert canteen.name not in text, (actor, page, key)
    form = client.get(f"/admin/canteens/menu/{menu.pk}/change/")
    if form.status_code == 200:
        assert dishes[PT].name not in form.content.decode(), actor


def test_a_menu_saves_only_its_own_canteen_s_dishes(world: World) -> None:
    from tongzhou.canteens.models import Dish, Menu, MenuItem
    from tongzhou.canteens.services import menu_save

    foreign = Dish.objects.create(canteen=world.canteens[PT], name="别家的菜", price_fen=900)
    menu = Menu.objects.create(canteen=world.canteens[DH], date="2026-03-12", session="lunch")
    with pytest.raises(DomainError) as refused:
        menu_save(actor=world.actors["super"], canteen=menu.canteen,
                  obj=MenuItem(menu=menu, dish=foreign, price_fen=900))  # fmt: skip
    assert refused.value.code == "dish_of_another_canteen"
    assert not MenuItem.objects.exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_charity_funds_show_only_to_those_they_serve(world: World, actor: str) -> None:
    from tongzhou.charity.services import fund_create
    from tongzhou.geo.models import Region

    funds = {
        "city-wide": fund_create(actor=world.actors["super"], name="全市助餐基金", donor="甲"),
        DH: fund_create(actor=world.actors["super"], name="定海助餐基金", donor="乙",
                        earmark_region=Region.objects.get(code="330902")),
        PT: fund_create(actor=world.actors["super"], name="普陀助餐基金", donor="丙",
                        earmark_region=Region.objects.get(code="330903")),
    }  # fmt: skip
    response = _client(world.actors[actor]).get("/admin/charity/charityfund/")
    text = response.content.decode() if response.status_code == 200 else ""
    shown = {key for key, fund in funds.items() if fund.name in text}
    assert shown == {key for key, readers in FUND_READ.items() if actor in readers}, actor


@pytest.mark.parametrize("actor", ACTORS)
def test_only_those_who_take_a_step_open_a_draft_statement(world: World, actor: str) -> None:
    import datetime as dt

    from tongzhou.settlement.models import Statement
    from tongzhou.settlement.services import statement_for

    for key, canteen in world.canteens.items():
        try:
            statement_for(actor=world.actors[actor], canteen=canteen, day=dt.date(2026, 3, 12))
        except DomainError as refused:
            assert actor not in STATEMENT_OPEN[key], (actor, key, refused.code)
            assert not Statement.objects.filter(canteen=canteen).exists()
        else:
            assert actor in STATEMENT_OPEN[key], (actor, key)
