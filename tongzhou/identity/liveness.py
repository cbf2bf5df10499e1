"""Liveness at the counter: a head turn, asked for at random, seen over a few frames.

The counter asks the elder to turn their head slowly to their left or their right (which one
is chosen by the server and signed into a short-lived challenge) and sends the frames it took:
the first with the elder looking at the camera, then the turn. A frame's turn is measured from
dlib's 68 landmarks (`face.yaw_of`): a printed photo or a phone screen held up, moved, tilted
or turned keeps the same measure, because it is flat; a head that turns changes it.

It stops a still picture (printed, or on a screen) and a picture moved about. It does not stop
a video of the elder turning their head both ways played on a screen, two photographs of the
elder in the two poses shown one after the other, or a mask: the cashier's confirmation
against the enrolled photo remains the check against those (ADR 0003).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.core import signing

from tongzhou.identity.face import Frame

FRONTAL = 0.10  # the first frame: the nose within this of the face's middle
# The turn asked for: at least this far from the first frame, the right way. Real head turns
# on the test photos move it 0.20-0.23; a photo held up and moved about, up to 0.16 where
# its landmarks are unstable (`bench/face/run.py`; ADR 0003).
TURN = 0.15
# The frames must all show one person: dlib's own same-person distance, looser than the
# identification's, because a turned face embeds a little differently.
SAME_PERSON = 0.6
MIN_FRAMES, MAX_FRAMES = 2, 4
CHALLENGE_SECONDS = 60
TURNS = {"left": 1.0, "right": -1.0}  # the person's own left raises the yaw
_SALT = "tongzhou-face-challenge"


class LivenessRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def challenge_issue(subject: int | str) -> tuple[str, str]:
    """A signed challenge for one subject (a terminal's id; a phone's order and user):
    (token, the turn to ask for)."""
    turn = secrets.choice(list(TURNS))
    token = signing.TimestampSigner(salt=_SALT).sign_object(
        {"t": subject, "turn": turn, "n": secrets.token_hex(6)}
    )
    return token, turn


def challenge_turn(token: str, subject: int | str) -> str:
    """The turn a challenge asked this subject for, or LivenessRefused."""
    try:
        data: dict[str, Any] = signing.TimestampSigner(salt=_SALT).unsign_object(
            token, max_age=CHALLENGE_SECONDS
        )
    except signing.SignatureExpired:
        raise LivenessRefused("face_challenge_expired") from None
    except signing.BadSignature:
        raise LivenessRefused("face_challenge_invalid") from None
    if data.get("t") != subject or data.get("turn") not in TURNS:
        raise LivenessRefused("face_challenge_invalid")
    return str(data["turn"])


def live_frame(frames: Sequence[Frame | None], turn: str) -> Frame:
    """The frame to identify with (the first, looking at the camera) if the frames show one
    person looking at the camera and then turning their head the way asked; else refused."""
    import numpy as np

    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise LivenessRefused("face_liveness_frames")
    if any(frame is None for frame in frames):
        raise LivenessRefused("face_not_found")
    first, *rest = [frame for frame in frames if frame is not None]
    if abs(first.yaw) > FRONTAL:
        raise LivenessRefused("face_liveness_not_frontal")
    for frame in rest:
        distance = float(np.linalg.norm(frame.embedding - first.embedding))
        if distance > SAME_PERSON:
            raise LivenessRefused("face_liveness_changed")
    furthest = max((frame.yaw - first.yaw) * TURNS[turn] for frame in rest)
    if furthest < TURN:
        raise LivenessRefused("face_liveness_no_turn")
    return first
