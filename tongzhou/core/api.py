"""Shared API pieces: how answers are rendered, and the error body every endpoint documents."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from tongzhou.core.errors import DomainError


class UnicodeJSONRenderer(JSONRenderer):
    """Compact UTF-8 JSON (Chinese text readable in logs and by terminal vendors, not \\u
    escapes), written by orjson. Dates, times and what JSON has no type for go through
    ninja's encoder, so they keep Django's format (milliseconds, Z for UTC)."""

    _default = staticmethod(NinjaJSONEncoder().default)
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, request: HttpRequest | None, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._default, option=self._options)


renderer = UnicodeJSONRenderer()


def json_response(request: HttpRequest, data: Any, *, status: int) -> HttpResponse:
    """An answer rendered as every endpoint's (for a view that sets its own headers)."""
    body = renderer.render(request, data, response_status=status)
    content_type = f"{renderer.media_type}; charset={renderer.charset}"
    return HttpResponse(body, status=status, content_type=content_type)


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The answer to a refusal, in the shape every endpoint uses."""
    return json_response(request, {"error": error.as_dict()}, status=error.status)


class ErrorBody(Schema):
    code: str
    message: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class BoundedLimitOffset(LimitOffsetPagination):
    """ninja's limit/offset paging, bounded: an offset past any real list (or beyond the
    database's integer range) is refused as malformed instead of failing in the database."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10_000_000)


# Endpoints that move money may also refuse for want of funds (402) or a conflict (409).
CONFLICTS: dict[int, type[Schema]] = {**ERRORS, 402: ErrorOut, 409: ErrorOut}
