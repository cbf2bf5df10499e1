"""Photos as an attacker holds them up to a counter's camera, for the liveness tests and the
face benchmark."""

from __future__ import annotations

import math
from typing import Any


def held_up(picture: Any, degrees: float) -> Any:
    """A printed photo (a PIL image) turned about its vertical axis in front of the camera,
    seen from two picture-widths away: the perspective a person holding it up produces."""
    import numpy as np
    from PIL import Image

    width, height = picture.size
    theta, distance = math.radians(degrees), 2.0 * width

    def seen(x: float, y: float) -> tuple[float, float]:
        depth = distance / (distance + (x - width / 2) * math.sin(theta))
        return (
            width / 2 + (x - width / 2) * math.cos(theta) * depth,
            height / 2 + (y - height / 2) * depth,
        )

    # The projective map from the seen picture back to the photo, from its four corners.
    corners = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    rows, values = [], []
    for (u, v), (x, y) in zip(corners, [seen(*corner) for corner in corners], strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        values += [u, v]
    coefficients = np.linalg.solve(np.array(rows), np.array(values))
    return picture.transform(
        picture.size, Image.Transform.PERSPECTIVE, tuple(coefficients), fillcolor=(128, 128, 128)
    )


def moved_about(picture: Any) -> list[Any]:
    """The ways a photo is held up: as it is, turned either way about its vertical axis,
    rotated in its plane, and seen from the side (narrower)."""
    return [
        picture,
        held_up(picture, 20),
        held_up(picture, -20),
        held_up(picture, 35),
        held_up(picture, -35),
        held_up(picture, 45),
        held_up(picture, -45),
        picture.rotate(15, fillcolor=(128, 128, 128)),
        picture.rotate(-15, fillcolor=(128, 128, 128)),
        picture.resize((int(picture.width * 0.7), picture.height)),
    ]
