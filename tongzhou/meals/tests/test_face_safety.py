"""Face identification that stays safe: the margin holds against the best candidate of the
whole city, a frame with two comparable faces is refused, every identification is audited
(never the picture) and limited per terminal."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core import crypto
from tongzhou.identity import face, face_services
from tongzhou.identity.models import FaceEnrolment

pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_frame(settings: Any) -> None:
    """These tests are about the search and the limits: one frame each, without the head
    turn (tested in test_face_checkout and identity/tests/test_liveness)."""
    settings.TONGZHOU = {**settings.TONGZHOU, "FACE_LIVENESS": False}


FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"


def identify(counter: Any, image: bytes) -> Any:
    return counter.client().post(
        "/api/v1/face/identify",
        {"image_base64": base64.b64encode(image).decode()},
        content_type="application/json",
    )


def _enrol_vector(elder: Any, vector: np.ndarray, recorder: Any) -> None:
    FaceEnrolment.objects.create(
        elder=elder, embedding_encrypted=crypto.encrypt_bytes(face.to_bytes(vector)),
        consent_method="written", consent_recorded_by=recorder,
    )  # fmt: skip


def _at(probe: np.ndarray, distance: float, direction: int) -> np.ndarray:
    """A vector `distance` from the probe, along one axis."""
    moved = probe.copy()
    moved[direction] += distance
    return moved


def test_a_look_alike_in_the_district_never_hides_the_true_elder_elsewhere(
    counter: Any, make_member: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = make_user(Role.CITY_BUREAU, region="330900")
    look_alike, _ = make_member(name="定海相似", village="330902002001")  # the canteen's district
    true_elder, _ = make_member(name="普陀本人", village="330903001001")
    probe = np.full(face.DIMENSIONS, 0.05, dtype=np.float32)
    _enrol_vector(look_alike, _at(probe, 0.44, 0), recorder)
    _enrol_vector(true_elder, _at(probe, 0.10, 1), recorder)
    monkeypatch.setattr(face_services, "_engine_embed", lambda image: probe)
    answer = identify(counter, b"frame").json()
    assert answer["name"] == "普**人" and answer["distance"] == pytest.approx(0.10, abs=1e-3)


def test_a_frame_with_two_comparable_faces_is_refused(counter: Any) -> None:
    from PIL import Image

    left = Image.open(FACES / "obama.jpg").convert("RGB")
    right = left.transpose(Image.Transpose.FLIP_LEFT_RIGHT)  # a second face of the same size
    height = left.height
    both = Image.new("RGB", (left.width + right.width, height))
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    frame = io.BytesIO()
    both.save(frame, format="JPEG")
    answer = identify(counter, frame.getvalue())
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "face_several"


def test_each_identification_is_audited_without_the_picture_and_limited(
    counter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = np.full(face.DIMENSIONS, 0.05, dtype=np.float32)
    monkeypatch.setattr(face_services, "_engine_embed", lambda image: probe)
    first = identify(counter, b"frame")
    assert first.json()["error"]["code"] == "face_not_recognised"
    event = AuditEvent.objects.get(action="face.identify")
    assert event.after == {
        "outcome": "face_not_recognised", "candidate_elder": None, "distance": None
    }  # fmt: skip
    assert "frame" not in str(event.after) and event.actor_label.startswith("terminal:")
    codes = [identify(counter, b"frame").json()["error"]["code"] for _ in range(60)]
    assert codes.count("face_not_recognised") == 59 and codes[-1] == "face_attempts_exceeded"
    assert AuditEvent.objects.filter(action="face.identify").count() == 60
