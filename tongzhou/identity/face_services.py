"""Face enrolment (with recorded consent), withdrawal, and identification at the counter."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap
from tongzhou.audit.services import audit_record
from tongzhou.canteens.models import Terminal
from tongzhou.core import clock, crypto
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.core.masking import mask_name
from tongzhou.elders.ages import age_on
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.identity import face, liveness
from tongzhou.identity.models import ConsentMethod, FaceConfirmation, FaceEnrolment
from tongzhou.throttle.services import Rule, note_failure

TOKEN_PREFIX = "face:"  # noqa: S105 - a marker, not a secret
TOKEN_MAX_AGE_SECONDS = 120
_SALT = "tongzhou-face-confirmation"


def _refuse(code: str, zh: str, en: str, status: int = 403) -> DomainError:
    return DomainError(code=code, message_zh=zh, message_en=en, status=status)


def _engine(work: Callable[[], Any]) -> Any:
    """Run the face engine, its failures said as refusals."""
    try:
        return work()
    except face.FaceUnavailable:
        raise _refuse(
            "face_unavailable",
            "本系统未安装人脸识别组件，请刷卡或扫码。",
            "Face identification is not installed here; use the card or the code.",
            503,
        ) from None
    except face.SeveralFaces:
        raise _refuse(
            "face_several",
            "画面中不止一位老人，请一位老人单独面对镜头。",
            "More than one face in the picture; one elder alone should face the camera.",
            422,
        ) from None
    except Exception:
        raise ValidationFailed(
            "face_image_unreadable", "照片无法读取。", "The picture cannot be read."
        ) from None


def frame_bytes(data: str) -> bytes:
    """A picture sent as base64 (a data: URL too), or the refusal to read it."""
    try:
        return base64.b64decode(data.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "face_image_unreadable", "照片无法读取。", "The picture cannot be read."
        ) from None


def _no_face() -> DomainError:
    return _refuse(
        "face_not_found",
        "没有拍到人脸，请正对镜头再试一次。",
        "No face in the picture; face the camera and try again.",
        422,
    )


def _engine_embed(image: bytes) -> Any:
    vector = _engine(lambda: face.embed(image))
    if vector is None:
        raise _no_face()
    return vector


LIVENESS_REFUSALS = {
    "face_liveness_required": (
        "请按屏幕提示转头后再识别。",
        "Face identification needs the head turn: follow the counter's prompt.",
    ),
    "face_challenge_expired": (
        "转头提示已超时，请重新点“刷脸”。",
        "The head-turn prompt has expired; start again.",
    ),
    "face_challenge_invalid": (
        "转头提示无效，请重新点“刷脸”。",
        "The head-turn prompt is not valid; start again.",
    ),
    "face_liveness_frames": (
        "拍摄的画面数量不对，请重新点“刷脸”。",
        "The counter sent the wrong number of frames; start again.",
    ),
    "face_liveness_not_frontal": (
        "请老人先正对镜头，再按提示转头。",
        "The elder should look straight at the camera first, then turn as asked.",
    ),
    "face_liveness_changed": (
        "转头时画面里换了人，请一位老人单独面对镜头。",
        "The face changed while turning; one elder alone should face the camera.",
    ),
    "face_liveness_no_turn": (
        "没有看到按提示转头：请老人本人正对镜头，再慢慢向提示的方向转头（照片和屏幕不能通过）。",
        "No head turn the way asked: the elder looks at the camera, then slowly turns as "
        "asked (a photo or a screen does not pass).",
    ),
}


def _liveness_refusal(code: str) -> DomainError:
    if code == "face_not_found":
        return _no_face()
    zh, en = LIVENESS_REFUSALS[code]
    return _refuse(code, zh, en, 422)


def face_challenge(*, terminal: Terminal) -> tuple[str, str]:
    """A head-turn challenge for this terminal's next identification: (token, "left" or
    "right", the elder's own side). Refused at once where the face engine is not installed,
    so that no elder is asked to turn their head for nothing."""
    _engine(face.load)
    return liveness.challenge_issue(terminal.pk)


def _live_probe(subject: int | str, frames: list[bytes], challenge: str) -> Any:
    """The embedding to identify with, once the frames pass the head-turn check of the
    challenge issued to `subject`."""
    try:
        turn = liveness.challenge_turn(challenge, subject)
        if not liveness.MIN_FRAMES <= len(frames) <= liveness.MAX_FRAMES:
            raise liveness.LivenessRefused("face_liveness_frames")
        examined = [_engine(partial(face.examine, frame)) for frame in frames]
        return liveness.live_frame(examined, turn).embedding
    except liveness.LivenessRefused as refused:
        raise _liveness_refusal(refused.code) from None


@transaction.atomic
def face_enrol(
    *, actor: Any, elder: Elder, image: bytes, consent_method: str, keep_photo: bool
) -> FaceEnrolment:
    require_cap(actor, Cap.ELDER_EDIT, "登记人脸", "enrol faces")
    require_elder_in_scope(actor=actor, elder=elder)
    if consent_method not in ConsentMethod.values:
        raise ValidationFailed(
            "face_consent_required",
            "登记人脸前必须记录本人（或监护人）的同意方式。",
            "Record how the elder (or guardian) consented before enrolling a face.",
        )
    vector = _engine_embed(image)
    FaceEnrolment.objects.filter(elder=elder).delete()
    enrolment = FaceEnrolment.objects.create(
        elder=elder,
        embedding_encrypted=crypto.encrypt_bytes(face.to_bytes(vector)),
        photo_encrypted=crypto.encrypt_bytes(image) if keep_photo else None,
        consent_method=consent_method,
        consent_recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="face.enrol",
        target=elder,
        after={"consent_method": consent_method, "photo_kept": keep_photo},
        scope_path=elder.residence.path,
    )
    return enrolment


@transaction.atomic
def face_withdraw(*, actor: Any, elder: Elder) -> None:
    """Consent withdrawn: the embedding and the photo are deleted, not merely hidden."""
    require_cap(actor, Cap.ELDER_EDIT, "撤回人脸登记", "withdraw face enrolment")
    require_elder_in_scope(actor=actor, elder=elder)
    deleted, _rows = FaceEnrolment.objects.filter(elder=elder).delete()
    audit_record(
        actor=actor,
        action="face.withdraw",
        target=elder,
        after={"deleted": bool(deleted)},
        scope_path=elder.residence.path,
    )


@dataclass(frozen=True)
class FaceCandidate:
    token: str  # the checkout credential once the cashier confirms
    name: str
    age: int
    distance: float
    photo: bytes | None


# The city's enrolled faces, decrypted once per process and kept with the version they were
# read at: (count, newest id) of the enrolments, which every enrolment (a new row) and
# withdrawal (a deleted row) changes, so that each identification reads two numbers and
# decrypts again only after a change.
_gallery_cache: tuple[tuple[int, int], face.Gallery] | None = None


def _gallery_version() -> tuple[int, int]:
    found = FaceEnrolment.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    return found["count"], found["newest"] or 0


def city_gallery() -> face.Gallery:
    """The enrolled active elders' embeddings, as of the latest enrolment or withdrawal."""
    global _gallery_cache
    version = _gallery_version()
    if _gallery_cache is not None and _gallery_cache[0] == version:
        return _gallery_cache[1]
    # numpy comes with the optional face packages; the base install has none.
    import numpy as np

    rows = list(
        FaceEnrolment.objects.filter(elder__status=ElderStatus.ACTIVE).values_list(
            "elder_id", "embedding_encrypted"
        )
    )
    vectors = (
        np.stack([face.from_bytes(crypto.decrypt_bytes(bytes(blob))) for _id, blob in rows])
        if rows
        else np.zeros((0, face.DIMENSIONS), dtype=np.float32)
    )
    gallery = face.Gallery([elder_id for elder_id, _blob in rows], vectors)
    _gallery_cache = (version, gallery)
    return gallery


def clear_gallery() -> None:
    """For tests, whose databases come and go."""
    global _gallery_cache
    _gallery_cache = None


# Identifications a terminal may ask for: enough for a busy counter's lunch, not for
# sweeping photos through the city's faces.
FACE_RULE = Rule(
    code="face_attempts_exceeded",
    limit=60,
    window=dt.timedelta(minutes=10),
    lockout=dt.timedelta(minutes=10),
    message_zh="本收银台人脸识别次数过多，请稍后再试，或刷卡、扫码。",
    message_en="Too many face identifications at this counter; wait, or use the card or code.",
)


def face_identify(
    *,
    terminal: Terminal,
    image: bytes | None = None,
    frames: list[bytes] | None = None,
    challenge: str = "",
) -> FaceCandidate:
    """One candidate from the whole city's enrolled faces for the cashier to confirm, or a
    refusal. The frames must pass the head-turn check of the challenge first (a single image
    is taken only where liveness is turned off). Every identification is counted per terminal
    and audited (when, which terminal, the outcome and the candidate; never the picture)."""
    # Counts the attempt, whatever it finds; refused at once while the terminal is locked out.
    note_failure(f"face-terminal:{terminal.pk}", FACE_RULE)
    outcome, candidate, distance = "refused", None, None
    try:
        if frames:
            probe = _live_probe(terminal.pk, frames, challenge)
        elif image is not None and not settings.TONGZHOU["FACE_LIVENESS"]:
            probe = _engine_embed(image)
        else:
            raise _liveness_refusal("face_liveness_required")
        match, why = city_gallery().search(
            probe,
            threshold=settings.TONGZHOU["FACE_THRESHOLD"],
            margin=settings.TONGZHOU["FACE_MARGIN"],
        )
        outcome = why
        elder = (
            Elder.objects.select_related("face").filter(pk=match.elder_id).first()
            if match
            else None
        )
        if why == "ambiguous":
            raise _refuse(
                "face_ambiguous",
                "无法确定是哪一位老人，请刷卡或扫码。",
                "The face is too close to more than one person; use the card or the code.",
            )
        if match is None or elder is None or elder.status != ElderStatus.ACTIVE:
            outcome = "no_match"
            raise _refuse(
                "face_not_recognised",
                "没有认出这位老人，请刷卡或扫码。",
                "This face is not recognised; use the card or the code.",
            )
        distance = round(match.distance, 3)
        token = signing.TimestampSigner(salt=_SALT).sign_object(
            {"e": elder.pk, "t": terminal.pk, "n": secrets.token_hex(8)}
        )
        photo = elder.face.photo_encrypted
        candidate = elder.pk
        return FaceCandidate(
            token=TOKEN_PREFIX + token,
            name=mask_name(elder.name),
            age=age_on(elder.birth_date, clock.today()),
            distance=distance,
            photo=crypto.decrypt_bytes(bytes(photo)) if photo else None,
        )
    except DomainError as refused:
        outcome = refused.code
        raise
    finally:
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_label=f"terminal:{terminal.key_id}",
                action="face.identify",
                target=terminal,
                after={"outcome": outcome, "candidate_elder": candidate, "distance": distance},
                canteen_id=terminal.canteen_id,
                scope_path=terminal.canteen.village.path,
            )


def elder_by_face_token(raw: str, *, terminal: Terminal | None) -> Elder:
    """A face match the cashier confirmed: valid for two minutes, at the same terminal, once."""
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(
            raw[len(TOKEN_PREFIX) :], max_age=TOKEN_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise _refuse(
            "face_confirmation_expired",
            "人脸确认已超时，请重新拍照。",
            "The face confirmation has expired; take the picture again.",
        ) from None
    except signing.BadSignature:
        raise _refuse(
            "face_confirmation_invalid", "人脸确认无效。", "Invalid face confirmation."
        ) from None
    if terminal is None or data.get("t") != terminal.pk:
        raise _refuse("face_confirmation_invalid", "人脸确认无效。", "Invalid face confirmation.")
    try:
        with transaction.atomic():
            FaceConfirmation.objects.create(nonce=data["n"])
    except IntegrityError:
        raise _refuse(
            "face_confirmation_used",
            "这次人脸确认已用过，请重新拍照。",
            "This face confirmation was already used; take the picture again.",
            409,
        ) from None
    return Elder.objects.select_related("residence").get(pk=data["e"])


FACE_ENCRYPTED = ("embedding_encrypted", "photo_encrypted")


def faces_reencrypt(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Re-encrypt the next batch of face enrolments under the first field key."""
    rows = list(
        FaceEnrolment.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .only(*FACE_ENCRYPTED)[:batch_size]
    )
    changed = crypto.rotate_rows(rows, byte_fields=FACE_ENCRYPTED)
    with transaction.atomic():
        FaceEnrolment.objects.bulk_update(changed, FACE_ENCRYPTED)
    return len(changed), rows[-1].pk if rows else None


# --- One elder's own face, on a worker's phone at the door --------------------------------

VERIFY_RULE = Rule(
    code="face_verify_attempts_exceeded",
    limit=8,
    window=dt.timedelta(minutes=10),
    lockout=dt.timedelta(minutes=10),
    message_zh="刷脸确认次数过多，请稍后再试，或刷卡、扫码。",
    message_en="Too many face confirmations; wait, or use the card or the code.",
)


def face_challenge_for(subject: str) -> tuple[str, str]:
    """A head-turn challenge for a confirmation on a phone (`subject` names the order and
    the worker): (token, "left" or "right")."""
    _engine(face.load)
    return liveness.challenge_issue(subject)


def face_verify(
    *, actor: Any, elder: Elder, subject: str, frames: list[bytes], challenge: str
) -> float:
    """Is this the elder, checked against their own enrolment alone (one to one, not a
    search of the city)? The frames must pass the head-turn check of the challenge issued to
    `subject` first. Attempts are counted per subject and audited (never the picture).
    Call it outside a transaction that may roll back: the count and the audit must stay."""
    import numpy as np

    note_failure(f"face-verify:{subject}", VERIFY_RULE)
    outcome, distance = "refused", None
    try:
        enrolment = FaceEnrolment.objects.filter(elder=elder).first()
        if enrolment is None:
            raise _refuse(
                "face_not_enrolled",
                "这位老人没有登记人脸，请刷卡或扫码。",
                "This elder has no face enrolled; use the card or the code.",
                409,
            )
        if not frames:
            raise _liveness_refusal("face_liveness_required")
        probe = _live_probe(subject, frames, challenge)
        enrolled = face.from_bytes(crypto.decrypt_bytes(bytes(enrolment.embedding_encrypted)))
        distance = round(float(np.linalg.norm(np.asarray(probe) - enrolled)), 3)
        if distance > settings.TONGZHOU["FACE_THRESHOLD"]:
            raise _refuse(
                "face_not_matching",
                "与这位老人登记的人脸不符，请刷卡或扫码。",
                "The face does not match this elder's enrolment; use the card or the code.",
            )
        outcome = "ok"
        return distance
    except DomainError as refused:
        outcome = refused.code
        raise
    finally:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="face.verify",
                target=elder,
                after={"outcome": outcome, "distance": distance, "subject": subject},
                scope_path=elder.residence.path,
            )
