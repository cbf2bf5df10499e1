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


def _b64(name: str) -> str:
    return base64.b64encode((FACES / name).read_bytes()).decode()


# Each person looking at the camera, then turned to their own left and to their right.
TURNS = {
    "obama": ("obama.jpg", {"left": "obama1.jpg", "right": "obama2.jpg"}),
    "guido": ("guido_van_rossum1.jpg",
              {"left": "guido_van_rossum_left.jpg", "right": "guido_van_rossum2.jpg"}),
}  # fmt: skip


def identify(counter: Any, person: str = "obama") -> Any:
    """As the counter does: a challenge, then the person looking at the camera and turning
    their head as asked."""
    challenge = counter.client().post("/api/v1/face/challenge").json()
    frontal, turned = TURNS[person]
    frames = [_b64(frontal), _b64(turned[challenge["turn"]])]
    body = {"challenge": challenge["challenge"], "frames_base64": frames}
    return counter.client().post("/api/v1/face/identify", body, content_type="application/json")


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
    face_enrol(actor=worker, elder=elder, image=(FACES / "obama2.jpg").read_bytes(),
               consent_method="written", keep_photo=True)  # fmt: skip
    other, _ = make_member(name="拜登")
    face_enrol(actor=worker, elder=other, image=(FACES / "biden.jpg").read_bytes(),
               consent_method="witnessed", keep_photo=False)  # fmt: skip
    return elder, worker


def test_a_confirmed_face_sells_once(counter: Any, enrolled: Any) -> None:
    elder, _worker = enrolled
    candidate = identify(counter)
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
    stranger = identify(counter, "guido")  # never enrolled
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (403, "face_not_recognised")
    token = identify(counter).json()["token"]
    other_counter = make_counter("330921100001")
    assert sell(other_counter, token, "x1").json()["error"]["code"] == "face_confirmation_invalid"
    assert Meal.objects.count() == 0


def test_withdrawing_consent_deletes_the_face(counter: Any, enrolled: Any) -> None:
    elder, worker = enrolled
    face_withdraw(actor=worker, elder=elder)
    assert not FaceEnrolment.objects.filter(elder=elder).exists()
    assert identify(counter).json()["error"]["code"] == "face_not_recognised"
    assert AuditEvent.objects.filter(action="face.withdraw").exists()


def test_one_picture_is_not_enough_and_a_held_up_photo_does_not_turn(
    counter: Any, make_counter: Any, enrolled: Any
) -> None:
    single = counter.client().post(
        "/api/v1/face/identify",
        {"image_base64": _b64("obama.jpg")},
        content_type="application/json",
    )
    assert (single.status_code, single.json()["error"]["code"]) == (422, "face_liveness_required")
    challenge = counter.client().post("/api/v1/face/challenge").json()
    still = {"challenge": challenge["challenge"], "frames_base64": [_b64("obama.jpg")] * 3}
    refused = counter.client().post("/api/v1/face/identify", still, content_type="application/json")
    assert refused.json()["error"]["code"] == "face_liveness_no_turn"
    assert "照片和屏幕不能通过" in refused.json()["error"]["message"]
    event = AuditEvent.objects.filter(action="face.identify").latest("pk")
    assert event.after["outcome"] == "face_liveness_no_turn"
    elsewhere = (
        make_counter("330921100001")
        .client()
        .post("/api/v1/face/identify", still, content_type="application/json")
    )
    assert elsewhere.json()["error"]["code"] == "face_challenge_invalid"  # another terminal's


def test_without_the_face_engine_the_counter_says_so_before_anyone_turns(
    counter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tongzhou.identity import face

    def missing() -> None:
        raise face.FaceUnavailable("install the 'face' extra")

    monkeypatch.setattr(face, "_models", missing)
    challenge = counter.client().post("/api/v1/face/challenge")
    assert (challenge.status_code, challenge.json()["error"]["code"]) == (503, "face_unavailable")
    frames = {"challenge": "x", "frames_base64": [_b64("obama.jpg")] * 2}
    monkeypatch.setattr("tongzhou.identity.liveness.challenge_turn", lambda token, terminal: "left")
    answer = counter.client().post("/api/v1/face/identify", frames, content_type="application/json")
    assert answer.json()["error"]["code"] == "face_unavailable"  # not "the picture cannot be read"
