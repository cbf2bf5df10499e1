"""The elder confirms a service at the door with their face on the carer's phone: the head
turns as the server asked and the face is the order's elder's own enrolment (one to one);
anyone else's face, a challenge for another order, or an elder with no face enrolled is
refused, counted and audited, and the order does not change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongzhou.audit.models import AuditEvent
from tongzhou.care.models import OrderStatus, Provider, ServiceOrder
from tongzhou.care.services import (
    Position,
    order_accept,
    order_check_in,
    order_check_out,
    order_confirm_face,
    order_create,
    order_dispatch,
    order_face_challenge,
)
from tongzhou.care.tests.conftest import VILLAGE, at
from tongzhou.core.errors import DomainError
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.identity.face_services import face_enrol

pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"
# Each person looking at the camera, then turned to their own left and to their right.
TURNS = {
    "obama": ("obama.jpg", {"left": "obama1.jpg", "right": "obama2.jpg"}),
    "guido": ("guido_van_rossum1.jpg",
              {"left": "guido_van_rossum_left.jpg", "right": "guido_van_rossum2.jpg"}),
}  # fmt: skip


def _frames(person: str, turn: str) -> list[bytes]:
    frontal, turned = TURNS[person]
    return [(FACES / frontal).read_bytes(), (FACES / turned[turn]).read_bytes()]


@pytest.fixture
def checked_out(
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    care_list: None,
    provider: Provider,
    carer_user: Any,
    now: Any,
) -> ServiceOrder:
    from tongzhou.access.roles import Role

    now(at(2026, 3, 10, 8))
    elder = make_elder(VILLAGE, birth=dt.date(1944, 6, 1))
    membership_add(actor=superuser, elder=elder, category=Category.objects.get(code="dibao"),
                   valid_from=dt.date(2025, 1, 1))  # fmt: skip
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    order = order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    order_dispatch(actor=worker, order_id=order.pk, provider=provider)
    order_accept(actor=carer_user, order_id=order.pk, window_start=at(2026, 3, 10, 9),
                 window_end=at(2026, 3, 10, 11))  # fmt: skip
    door = Position(lon=elder.residence.lon, lat=elder.residence.lat, accuracy_m=10)
    now(at(2026, 3, 10, 9))
    order_check_in(actor=carer_user, order_id=order.pk, position=door)
    now(at(2026, 3, 10, 10, 5))
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8kitchen", "image/jpeg")
    return order_check_out(actor=carer_user, order_id=order.pk, position=door, photo=photo)


def _enrol(superuser: Any, order: ServiceOrder, picture: str = "obama2.jpg") -> None:
    face_enrol(actor=superuser, elder=order.elder, image=(FACES / picture).read_bytes(),
               consent_method="written", keep_photo=False)  # fmt: skip


def test_the_elder_s_own_face_turning_as_asked_confirms(
    checked_out: ServiceOrder, carer_user: Any, superuser: Any
) -> None:
    _enrol(superuser, checked_out)
    challenge, turn = order_face_challenge(actor=carer_user, order_id=checked_out.pk)
    done = order_confirm_face(actor=carer_user, order_id=checked_out.pk,
                              frames=_frames("obama", turn), challenge=challenge)  # fmt: skip
    assert (done.status, done.confirmed_by) == (OrderStatus.APPROVED, "face")
    event = AuditEvent.objects.filter(action="face.verify").get()
    assert event.after["outcome"] == "ok" and event.after["distance"] < 0.45


def _refusal(order: ServiceOrder, actor: Any, frames: list[bytes], challenge: str) -> str:
    with pytest.raises(DomainError) as refused:
        order_confirm_face(actor=actor, order_id=order.pk, frames=frames, challenge=challenge)
    after = ServiceOrder.objects.get(pk=order.pk)
    assert (after.status, after.confirmed_by) == (OrderStatus.IN_SERVICE, "")
    return refused.value.code


def test_someone_else_s_face_a_still_photo_or_another_order_s_challenge_is_refused(
    checked_out: ServiceOrder,
    carer_user: Any,
    superuser: Any,
    make_user: Callable[..., Any],
) -> None:
    from tongzhou.access.roles import Role
    from tongzhou.care.models import Carer

    assert _refusal(checked_out, carer_user, [b"x"], "") == "face_not_enrolled"
    _enrol(superuser, checked_out)
    challenge, turn = order_face_challenge(actor=carer_user, order_id=checked_out.pk)
    assert _refusal(checked_out, carer_user, _frames("guido", turn), challenge) == (
        "face_not_matching"
    )
    still = (FACES / "obama.jpg").read_bytes()
    assert _refusal(checked_out, carer_user, [still, still], challenge) == "face_liveness_no_turn"
    # A challenge is for this order and this carer only.
    colleague = make_user(Role.CARER, region="330902")
    Carer.objects.create(provider=Carer.objects.get(user=carer_user).provider, user=colleague,
                         name="李护理")  # fmt: skip
    ServiceOrder.objects.filter(pk=checked_out.pk).update(carer=Carer.objects.get(user=colleague))
    assert _refusal(checked_out, colleague, _frames("obama", turn), challenge) == (
        "face_challenge_invalid"
    )
    outcomes = list(
        AuditEvent.objects.filter(action="face.verify").values_list("after__outcome", flat=True)
    )
    assert sorted(outcomes) == sorted([
        "face_not_enrolled", "face_not_matching", "face_liveness_no_turn",
        "face_challenge_invalid",
    ])  # fmt: skip


def test_the_phone_page_asks_for_the_turn(
    checked_out: ServiceOrder, carer_user: Any, superuser: Any, signed_in: Callable[[Any], Any]
) -> None:
    _enrol(superuser, checked_out)
    phone = signed_in(carer_user)
    answer = phone.post(f"/care/serve/{checked_out.pk}/face-challenge/").json()
    assert answer["turn"] in ("left", "right")
    import base64

    frames = [
        "data:image/jpeg;base64," + base64.b64encode(frame).decode()
        for frame in _frames("obama", answer["turn"])
    ]
    phone.post(f"/care/serve/{checked_out.pk}/",
               {"step": "face", "challenge": answer["challenge"], "frame": frames})  # fmt: skip
    assert ServiceOrder.objects.get(pk=checked_out.pk).confirmed_by == "face"
    assert phone.get(f"/care/serve/{checked_out.pk}/face-challenge/").status_code == 405
