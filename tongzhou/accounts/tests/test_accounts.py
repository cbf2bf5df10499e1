from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.accounts.services import Assignment, user_create, user_set_password, user_update
from tongzhou.audit.models import AuditEvent
from tongzhou.core.errors import DomainError, PermissionDenied, ValidationFailed
from tongzhou.geo.models import Region

pytestmark = pytest.mark.django_db


def _region(code: str) -> Region:
    return Region.objects.get(code=code)


def test_role_and_place_must_agree_in_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="x", role=Role.CASHIER, region=_region("330902"))
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="y", role=Role.DISTRICT_OFFICER)


def test_district_officer_creates_accounts_only_inside_their_district(make_user: Any) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    town = user_create(
        actor=officer,
        username="chen",
        password="Zhoushan-strong-9",
        assignment=Assignment(Role.TOWN_OFFICER, region=_region("330902002")),
        phone="13812345678",
    )
    event = AuditEvent.objects.get(action="user.create", object_id=str(town.pk))
    assert event.after["role"] == "town_officer" and event.after["phone"] == "138****5678"
    assert "password" not in event.after
    with pytest.raises(ValidationFailed) as caught:
        user_create(
            actor=officer, username="wang", password=None,
            assignment=Assignment(Role.TOWN_OFFICER, region=_region("330903001")),
        )  # fmt: skip
    assert caught.value.code == "place_out_of_scope"
    with pytest.raises(PermissionDenied):
        user_create(
            actor=officer, username="boss", password=None,
            assignment=Assignment(Role.CITY_BUREAU, region=_region("330900")),
        )  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        user_create(
            actor=officer, username="lvl", password=None,
            assignment=Assignment(Role.TOWN_OFFICER, region=_region("330902")),
        )  # fmt: skip
    assert caught.value.code == "role_region_level"
    assert not User.objects.filter(username__in=["wang", "boss", "lvl"]).exists()


def test_canteen_manager_hires_cashiers_for_their_own_canteen_only(
    make_user: Any, make_canteen: Any
) -> None:
    mine, other = make_canteen("330902002001"), make_canteen("330903001001")
    manager = make_user(Role.CANTEEN_MANAGER, canteen=mine)
    cashier = user_create(
        actor=manager,
        username="c1",
        password=None,
        assignment=Assignment(Role.CASHIER, canteen=mine),
    )
    assert cashier.canteen == mine and cashier.is_staff
    with pytest.raises(ValidationFailed):
        user_create(
            actor=manager, username="c2", password=None,
            assignment=Assignment(Role.CASHIER, canteen=other),
        )  # fmt: skip
    with pytest.raises(DomainError):
        user_update(actor=manager, user=manager, assignment=Assignment(Role.CASHIER, canteen=mine))


def test_password_changes_are_validated_and_audited(make_user: Any) -> None:
    officer = make_user(Role.TOWN_OFFICER, region="330902002")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    with pytest.raises(ValidationFailed) as caught:
        user_set_password(actor=officer, user=worker, password="123")
    assert caught.value.code == "password_weak"
    user_set_password(actor=officer, user=worker, password="Harbour-lights-42")
    worker.refresh_from_db()
    assert worker.check_password("Harbour-lights-42")
    assert AuditEvent.objects.filter(action="user.password", object_id=str(worker.pk)).count() == 1


def test_admin_user_creation_goes_through_the_service(make_user: Any) -> None:
    officer = make_user(Role.TOWN_OFFICER, region="330902002")
    client = Client()
    client.force_login(officer)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "liu",
            "password1": "Harbour-lights-42",
            "password2": "Harbour-lights-42",
            "full_name": "刘社工",
            "phone": "",
            "role": "village_worker",
            "region": _region("330902002001").pk,
            "canteen": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(username="liu")
    assert created.role == "village_worker" and created.check_password("Harbour-lights-42")
    assert AuditEvent.objects.filter(action="user.create", actor=officer).exists()
    refused = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "zhao",
            "password1": "Harbour-lights-42",
            "password2": "Harbour-lights-42",
            "role": "district_officer",
            "region": _region("330902").pk,
        },
    )
    assert refused.status_code == 200  # the form shows the error
    assert not User.objects.filter(username="zhao").exists()


def test_admin_password_change_is_audited(make_user: Any) -> None:
    officer = make_user(Role.TOWN_OFFICER, region="330902002")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    client = Client()
    client.force_login(officer)
    url = f"/admin/accounts/user/{worker.pk}/password/"
    response = client.post(
        url,
        {
            "password1": "Harbour-lights-42",
            "password2": "Harbour-lights-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Harbour-lights-42")
    event = AuditEvent.objects.get(action="user.password", object_id=str(worker.pk))
    assert event.actor == officer
    outsider = make_user(Role.VILLAGE_WORKER, region="330903001001")
    assert client.get(f"/admin/accounts/user/{outsider.pk}/password/").status_code == 404
