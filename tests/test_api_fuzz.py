"""Schemathesis over the API's own OpenAPI document, as staff and as a counter terminal: a
bounded number of generated requests per operation, none answered by a server error or by an
answer the document does not describe."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from tongzhou.access.roles import Role
from tongzhou.canteens.services import terminal_create

pytestmark = pytest.mark.django_db
# No server error, and every answer one the document describes: its status, its content
# type, its body and its headers. (Whether the API accepts every schema-valid string, NUL
# characters included, is not asked: those it refuses on purpose, with the documented 400.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]  # fmt: skip
EXAMPLES = int(
    os.environ.get("TONGZHOU_FUZZ_EXAMPLES", "12")
)  # per operation and caller, bounded in CI


@pytest.fixture
def api_schema() -> Iterator[Any]:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    schema.app = get_wsgi_application()
    # As Django's test client does: the requests run inside the test's transaction, so the
    # handler must not close the connection at the end of each.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers(make_user: Any, make_canteen: Any, superuser: Any, make_elder: Any) -> dict[str, Any]:
    make_elder("330902002001")
    staff = Client()
    staff.force_login(make_user(Role.CITY_BUREAU, region="330900"))
    csrf = _get_new_csrf_string()
    canteen = make_canteen("330902002001")
    credential = terminal_create(actor=superuser, canteen=canteen, name="台").credential
    return {
        "staff": {"cookies": {"sessionid": staff.cookies["sessionid"].value, "csrftoken": csrf},
                  "headers": {"X-CSRFToken": csrf, "Referer": "http://localhost/"}},
        "terminal": {"headers": {"Authorization": f"Bearer {credential}"}},
    }  # fmt: skip


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate])  # fmt: skip


def _fuzz(schema: Any, caller: dict[str, Any]) -> list[str]:
    """Every operation, `EXAMPLES` generated requests each; the failures, one per operation."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def run(case: Any) -> None:
            case.call_and_validate(checks=CHECKS, **caller)

        try:
            run()
        except (Exception, BaseExceptionGroup) as failure:
            kinds = sorted(set(re.findall(r"- (ST\d+ [^\n]+)", str(failure)))) or [repr(failure)]
            failures.append(f"{operation.label}: {'; '.join(kinds)}")
    return failures


def test_staff_get_no_server_error_and_no_answer_outside_the_schema(
    api_schema: Any, callers: dict[str, Any]
) -> None:
    assert _fuzz(api_schema, callers["staff"]) == []


def test_a_terminal_gets_no_server_error_and_no_answer_outside_the_schema(
    api_schema: Any, callers: dict[str, Any]
) -> None:
    assert _fuzz(api_schema, callers["terminal"]) == []
