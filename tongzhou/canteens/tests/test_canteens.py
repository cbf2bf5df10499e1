import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from tongzhou.audit.models import AuditEvent
from tongzhou.canteens import services
from tongzhou.canteens.models import Canteen, CanteenKind, MealSession
from tongzhou.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_terminal_credential_is_hashed_rotated_and_revoked(
    make_canteen: Any, superuser: Any
) -> None:
    canteen = make_canteen("330902002001")
    issued = services.terminal_create(actor=superuser, canteen=canteen, name="收银台1")
    secret = issued.credential.split("_", 2)[2]
    assert secret not in issued.terminal.secret_hash
    assert services.terminal_authenticate(issued.credential) == issued.terminal
    rotated = services.terminal_rotate(actor=superuser, terminal=issued.terminal)
    with pytest.raises(services.TerminalAuthError) as caught:
        services.terminal_authenticate(issued.credential)
    assert caught.value.code == "terminal_credential_invalid"
    assert services.terminal_authenticate(rotated.credential) == issued.terminal
    services.terminal_revoke(actor=superuser, terminal=issued.terminal, reason="丢失")
    with pytest.raises(services.TerminalAuthError) as caught:
        services.terminal_authenticate(rotated.credential)
    assert caught.value.code == "terminal_revoked"
    with pytest.raises(services.TerminalAuthError) as caught:
        services.terminal_authenticate("garbage")
    assert caught.value.code == "terminal_credential_malformed"
    actions = list(
        AuditEvent.objects.filter(object_type="canteens.terminal").values_list("action", flat=True)
    )
    assert sorted(actions) == ["terminal.create", "terminal.revoke", "terminal.rotate"]
    assert all(secret not in str(e.after) for e in AuditEvent.objects.all())


def test_canteen_invariants_in_code_and_database(make_canteen: Any, superuser: Any) -> None:
    canteen = make_canteen("330903100276")  # 六横镇 佛渡村, on 佛渡岛
    assert canteen.island.name == "佛渡岛"
    canteen.kind, canteen.seats = CanteenKind.CENTRAL_KITCHEN, 10
    with pytest.raises(ValidationFailed) as caught:
        services.canteen_save(actor=superuser, canteen=canteen)
    assert caught.value.code == "central_kitchen_seats"
    with pytest.raises(IntegrityError), transaction.atomic():
        Canteen.objects.filter(pk=canteen.pk).update(kind=CanteenKind.CENTRAL_KITCHEN, seats=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Canteen.objects.filter(pk=canteen.pk).update(lon=0.0)


def test_meal_sessions(make_canteen: Any, superuser: Any) -> None:
    canteen = make_canteen("330902002001")
    services.meal_session_set(
        actor=superuser, canteen=canteen, kind="lunch",
        starts_at=dt.time(10, 30), ends_at=dt.time(12, 30),
    )  # fmt: skip
    services.meal_session_set(
        actor=superuser, canteen=canteen, kind="lunch",
        starts_at=dt.time(11, 0), ends_at=dt.time(13, 0),
    )  # fmt: skip
    assert MealSession.objects.get(canteen=canteen).starts_at == dt.time(11, 0)
    with pytest.raises(ValidationFailed):
        services.meal_session_set(
            actor=superuser, canteen=canteen, kind="dinner",
            starts_at=dt.time(18, 0), ends_at=dt.time(17, 0),
        )  # fmt: skip
    event = AuditEvent.objects.filter(action="canteen.session_set").latest("id")
    assert event.before["starts_at"] == "10:30:00" and event.after["starts_at"] == "11:00:00"
