from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from tongzhou.core.api import error_response
from tongzhou.core.context import reset_request_id, set_request_id
from tongzhou.core.errors import DomainError

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Takes a caller's X-Request-ID when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # From META: `request.headers` would build a mapping of every header (and, under
        # granian, of the server's whole environment) to read this one.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # a NUL escaped in JSON text (not "\\u0000")
_FORM_NUL = b"%00"
NUL_REFUSED = DomainError(
    code="malformed_input",
    message_zh="请求中含有不允许的空字符（NUL）。",
    message_en="The request contains a NUL character, which is not allowed.",
    status=400,
    details={"reason": "nul_character"},
)


class RejectNulMiddleware:
    """A NUL character in a path, a query string or a form or JSON body is refused with the
    usual error answer before any view sees it: PostgreSQL cannot store one in text, and no
    field of the platform holds one. File uploads (multipart) are the importer's to check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            if request.path.startswith("/api/"):
                return error_response(request, NUL_REFUSED)
            return HttpResponseBadRequest(
                f"{NUL_REFUSED.message_zh} {NUL_REFUSED.message_en}",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in ("GET", "HEAD", "OPTIONS") or content_type.startswith("multipart/"):
            return False
        body = request.body
        if b"\x00" in body:
            return True
        if content_type.startswith("application/x-www-form-urlencoded"):
            return _FORM_NUL in body
        return bool(_JSON_NUL.search(body))


class ContentSecurityPolicyMiddleware:
    """Every answer carries `settings.CONTENT_SECURITY_POLICY` (a fixed policy: no nonces
    are needed, since no page runs an inline script), unless a view set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
