"""Rotating the field key: a new key first, `rotate_field_keys`, and every personal value
reads with the new key alone; a run that stopped resumes. A key that cannot read the stored
data stops the platform from starting."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tongzhou.core import crypto
from tongzhou.elders.models import Elder
from tongzhou.elders.services import elders_reencrypt
from tongzhou.identity.face_services import faces_reencrypt
from tongzhou.identity.models import FaceEnrolment

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings: Any) -> Any:
    """Set the field keys for the test (the process's cipher follows them)."""

    def use(*chosen: str) -> None:
        settings.FIELD_ENCRYPTION_KEYS = list(chosen)
        crypto.reset_caches()

    yield use
    crypto.reset_caches()


def test_a_new_key_re_encrypts_everything_and_reads_alone(
    make_elder: Any, superuser: Any, settings: Any, keys: Any
) -> None:
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    elders = [make_elder("330902002001", phone="13800000001") for _ in range(5)]
    FaceEnrolment.objects.create(
        elder=elders[0], embedding_encrypted=crypto.encrypt_bytes(b"\x01" * 512),
        photo_encrypted=crypto.encrypt_bytes(b"jpeg"), consent_method="written",
        consent_recorded_by=superuser,
    )  # fmt: skip
    plain = {e.pk: crypto.decrypt(e.id_number_encrypted) for e in Elder.objects.all()}
    new = Fernet.generate_key().decode()
    keys(new, old)
    # A run that stops after one batch of two, then runs again, finishes the job.
    changed, last = elders_reencrypt(batch_size=2)
    assert (changed, last) == (2, elders[1].pk)
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "elders (ID numbers, phones): 3 rewritten" in out.getvalue()
    assert "face enrolments: 1 rewritten" in out.getvalue()
    keys(new)  # the old key gone
    assert {e.pk: crypto.decrypt(e.id_number_encrypted) for e in Elder.objects.all()} == plain
    assert all(crypto.decrypt(e.phone_encrypted) == "13800000001" for e in Elder.objects.all())
    face = FaceEnrolment.objects.get()
    assert crypto.decrypt_bytes(face.photo_encrypted) == b"jpeg"
    assert faces_reencrypt() == (0, face.pk)  # nothing left to do
    call_command("check", "--database", "default", stdout=StringIO())


def test_keys_that_cannot_read_the_data_stop_the_start(make_elder: Any, keys: Any) -> None:
    make_elder("330902002001")
    keys(Fernet.generate_key().decode())  # the data's key lost
    with pytest.raises(SystemCheckError, match="TONGZHOU_FIELD_KEYS cannot decrypt"):
        call_command("check", "--database", "default", stdout=StringIO(), stderr=StringIO())
