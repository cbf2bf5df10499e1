"""Face identification with the real model on real photos (tests/data/faces)."""

from pathlib import Path

import pytest

from tongzhou.identity import face

pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def test_same_person_is_near_others_are_far() -> None:
    import numpy as np

    obama, obama2 = face.embed(photo("obama.jpg")), face.embed(photo("obama2.jpg"))
    biden, elon = face.embed(photo("biden.jpg")), face.embed(photo("elon_musk.jpg"))
    assert np.linalg.norm(obama - obama2) < face.STRICT_DISTANCE
    assert np.linalg.norm(obama - biden) > face.STRICT_DISTANCE
    assert np.linalg.norm(obama - elon) > face.STRICT_DISTANCE


def test_no_face_no_embedding() -> None:
    import io

    from PIL import Image

    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    assert face.embed(blank.getvalue()) is None


def test_best_match_needs_a_strict_distance_and_a_margin() -> None:
    import numpy as np

    gallery = np.array([[0.0] * 128, [1.0] + [0.0] * 127, [0.5] + [0.0] * 127], dtype=np.float32)
    probe = np.array([0.02] + [0.0] * 127, dtype=np.float32)
    match, why = face.best_match(probe, [10, 11, 12], gallery)
    assert why == "ok" and match is not None and match.elder_id == 10
    far = np.array([0.9] * 128, dtype=np.float32)
    assert face.best_match(far, [10, 11, 12], gallery) == (None, "no_match")
    twins = np.array([[0.0] * 128, [0.05] + [0.0] * 127], dtype=np.float32)
    assert face.best_match(probe, [10, 11], twins) == (None, "ambiguous")
