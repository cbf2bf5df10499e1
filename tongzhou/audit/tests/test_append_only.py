from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tongzhou.audit.models import AppendOnlyError, AuditEvent
from tongzhou.core.context import reset_request_id, set_request_id

pytestmark = pytest.mark.django_db


def _event(make_elder: Any) -> AuditEvent:
    make_elder("330902002001")
    return AuditEvent.objects.filter(action="elder.create").latest("id")


def test_application_cannot_change_or_delete_events(make_elder: Any) -> None:
    event = _event(make_elder)
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "elder.create"


def test_database_refuses_updates_even_in_raw_sql(make_elder: Any) -> None:
    event = _event(make_elder)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "elder.create"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE trigger on PostgreSQL")
def test_postgresql_refuses_raw_deletes(make_elder: Any) -> None:
    event = _event(make_elder)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_event_records_request_id_and_actor(make_elder: Any, superuser: Any) -> None:
    token = set_request_id("req-1234567890")
    try:
        event = _event(make_elder)
    finally:
        reset_request_id(token)
    assert (event.request_id, event.actor, event.actor_label) == (
        "req-1234567890",
        superuser,
        superuser.username,
    )


def test_request_id_header_round_trip(superuser: Any) -> None:
    client = Client()
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"
    assert len(client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id")["X-Request-ID"]) == 32


def test_admin_offers_no_change_or_delete(superuser: Any, make_elder: Any) -> None:
    event = _event(make_elder)
    client = Client()
    client.force_login(superuser)
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
