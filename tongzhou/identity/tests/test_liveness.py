"""The head-turn check on real photographs: a head that turns the way asked passes; a printed
photo held up, moved, tilted or turned does not, nor a turn the other way, nor a change of
person between frames. The turn measure is a property of the face, not of where the picture
sits in the frame (hypothesis)."""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.photos import moved_about
from tongzhou.identity import liveness
from tongzhou.identity.liveness import LivenessRefused, live_frame

pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"


def _jaw_eyes_nose(nose_at: float, eye_gap: float) -> list[tuple[float, float]]:
    """68 landmarks of which the five the measure reads are set: a face 200 wide, its nose
    `nose_at` of the way across."""
    points = [(100.0, 100.0)] * 68
    points[0], points[16] = (0.0, 100.0), (200.0, 100.0)
    points[36], points[45] = (100 - eye_gap, 60.0), (100 + eye_gap, 60.0)
    points[30] = (200 * nose_at, 120.0)
    return points


@given(
    nose_at=st.floats(0.1, 0.9),
    eye_gap=st.floats(20, 90),
    angle=st.floats(-math.pi, math.pi),
    scale=st.floats(0.2, 5),
    shift=st.tuples(st.floats(-1000, 1000), st.floats(-1000, 1000)),
)
def test_the_turn_does_not_change_when_the_picture_moves_turns_or_scales(
    nose_at: float, eye_gap: float, angle: float, scale: float, shift: tuple[float, float]
) -> None:
    from tongzhou.identity.face import yaw_of

    points = _jaw_eyes_nose(nose_at, eye_gap)
    cos, sin = math.cos(angle), math.sin(angle)
    moved = [
        (scale * (cos * x - sin * y) + shift[0], scale * (sin * x + cos * y) + shift[1])
        for x, y in points
    ]
    assert yaw_of(moved) == pytest.approx(yaw_of(points), abs=1e-9)
    assert yaw_of(points) == pytest.approx(nose_at - 0.5, abs=1e-9)


# --- on real photographs --------------------------------------------------------------------


def _frame(image: Any) -> Any:
    from tongzhou.identity import face

    if isinstance(image, str):
        return face.examine((FACES / image).read_bytes())
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return face.examine(buffer.getvalue())


@pytest.fixture(scope="module")
def obama() -> dict[str, Any]:
    return {name: _frame(f"{name}.jpg") for name in ("obama", "obama1", "obama2")}


def test_a_head_that_turns_the_way_asked_passes(obama: dict[str, Any]) -> None:
    assert live_frame([obama["obama"], obama["obama1"]], "left") is obama["obama"]
    assert live_frame([obama["obama"], obama["obama"], obama["obama2"]], "right") is obama["obama"]
    guido = [_frame("guido_van_rossum1.jpg"), _frame("guido_van_rossum2.jpg")]
    assert live_frame(guido, "right") is guido[0]


def test_a_turn_the_other_way_is_refused(obama: dict[str, Any]) -> None:
    with pytest.raises(LivenessRefused, match="face_liveness_no_turn"):
        live_frame([obama["obama"], obama["obama1"]], "right")


def test_a_printed_photo_held_up_and_turned_is_refused() -> None:
    from PIL import Image

    for name in ("obama.jpg", "guido_van_rossum1.jpg"):
        views = [_frame(view) for view in moved_about(Image.open(FACES / name).convert("RGB"))]
        for turn in ("left", "right"):
            for start in range(1, len(views), 3):  # the photo still, then moved about
                with pytest.raises(LivenessRefused, match="face_liveness_no_turn"):
                    live_frame([views[0], *views[start : start + 3]], turn)


def test_a_photo_of_a_turned_head_cannot_start_the_check(obama: dict[str, Any]) -> None:
    with pytest.raises(LivenessRefused, match="face_liveness_not_frontal"):
        live_frame([obama["obama1"], obama["obama"]], "right")


def test_another_person_turning_is_refused(obama: dict[str, Any]) -> None:
    with pytest.raises(LivenessRefused, match="face_liveness_changed"):
        live_frame([obama["obama"], _frame("guido_van_rossum2.jpg")], "right")


def test_too_few_or_too_many_frames_or_none_with_a_face(obama: dict[str, Any]) -> None:
    with pytest.raises(LivenessRefused, match="face_liveness_frames"):
        live_frame([obama["obama"]], "left")
    with pytest.raises(LivenessRefused, match="face_liveness_frames"):
        live_frame([obama["obama"]] * 5, "left")
    with pytest.raises(LivenessRefused, match="face_not_found"):
        live_frame([obama["obama"], None], "left")


def test_a_challenge_is_for_one_terminal_and_one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    token, turn = liveness.challenge_issue(7)
    assert liveness.challenge_turn(token, 7) == turn in ("left", "right")
    with pytest.raises(LivenessRefused, match="face_challenge_invalid"):
        liveness.challenge_turn(token, 8)
    with pytest.raises(LivenessRefused, match="face_challenge_invalid"):
        liveness.challenge_turn(token[:-2] + "xx", 7)
    later = time.time() + liveness.CHALLENGE_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(LivenessRefused, match="face_challenge_expired"):
        liveness.challenge_turn(token, 7)
