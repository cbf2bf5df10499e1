import base64
from pathlib import Path
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core.errors import ValidationFailed
from tongzhou.identity.face_services import face_enrol, face_withdraw
from tongzhou.identity.models import FaceEnrolment
from tongzhou.meals.models import Meal

pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
pytestmark = pytest.mark.django_db
FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"


def identify(counter: Any, name: str) -> Any:
    image = base64.b64encode((FACES / name).read_bytes()).decode()
    return counter.client().post(
        "/api/v1/face/identify", {"image_base64": image}, content_type="application/json"
    )


def sell(counter: Any, credential: str, key: str) -> Any:
    body = {"card": credential, "session": "lunch", "lines": [{"amount_fen": 1200}],
            "receipt_no": key}  # fmt: skip
    return counter.client().post(
        "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


@pytest.fixture
def enrolled(make_member: Any, make_user: Any) -> Any:
    elder, _card = make_member(name="欧巴马")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    with pytest.raises(ValidationFailed) as refused:
        face_enrol(actor=worker, elder=elder, image=(FACES / "obama.jpg").read_bytes(),
                   consent_method="", keep_photo=False)  # fmt: skip
    assert refused.value.code == "face_consent_required"
    face_enrol(actor=worker, elder=elder, image=(FACES / "obama.jpg").read_bytes(),
               consent_method="written", keep_photo=True)  # fmt: skip
    other, _ = make_member(name="拜登")
    face_enrol(actor=worker, elder=other, image=(FACES / "biden.jpg").read_bytes(),
               consent_method="witnessed", keep_photo=False)  # fmt: skip
    return elder, worker


def test_a_confirmed_face_sells_once(counter: Any, enrolled: Any) -> None:
    elder, _worker = enrolled
    candidate = identify(counter, "obama2.jpg")
    assert candidate.status_code == 200, candidate.json()
    data = candidate.json()
    assert data["name"] == "欧*马" and data["photo_base64"]  # thumbnail: consented
    assert Meal.objects.count() == 0  # identifying never charges
    sold = sell(counter, data["token"], "f1")
    assert sold.status_code == 201 and Meal.objects.get().elder == elder
    again = sell(counter, data["token"], "f2")
    assert again.json()["error"]["code"] == "face_confirmation_used"


def test_unknown_faces_and_other_terminals_are_refused(
    counter: Any, make_counter: Any, enrolled: Any
) -> None:
    stranger = identify(counter, "elon_musk.jpg")
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (403, "face_not_recognised")
    token = identify(counter, "obama2.jpg").json()["token"]
    other_counter = make_counter("330921100001")
    assert sell(other_counter, token, "x1").json()["error"]["code"] == "face_confirmation_invalid"
    assert Meal.objects.count() == 0


def test_withdrawing_consent_deletes_the_face(counter: Any, enrolled: Any) -> None:
    elder, worker = enrolled
    face_withdraw(actor=worker, elder=elder)
    assert not FaceEnrolment.objects.filter(elder=elder).exists()
    assert identify(counter, "obama2.jpg").json()["error"]["code"] == "face_not_recognised"
    assert AuditEvent.objects.filter(action="face.withdraw").exists()
