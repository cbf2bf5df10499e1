"""The platform's HTTP API: one NinjaAPI, versioned by path (/api/v1/), OpenAPI at
/api/v1/openapi.json. Each domain contributes a router; errors share one shape."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import django_auth

from tongzhou.canteens.api import router as canteens_router
from tongzhou.charity.api import router as charity_router
from tongzhou.core.errors import DomainError
from tongzhou.elders.api import router as elders_router
from tongzhou.geo.api import router as geo_router
from tongzhou.meals.api import router as meals_router


class UnicodeJSONRenderer(JSONRenderer):
    """Compact UTF-8 JSON (Chinese text readable in logs and by terminal vendors, not \\u
    escapes), written by orjson: every sale's receipt is rendered here, and the json
    module's encoder took about 4% of a sale's Python (sampled in process). Dates, times
    and what JSON has no type for go through ninja's encoder as before, so they keep
    Django's format (milliseconds, Z for UTC)."""

    _default = staticmethod(NinjaJSONEncoder().default)
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._default, option=self._options)


api = NinjaAPI(
    renderer=UnicodeJSONRenderer(),
    title="Tongzhou 同舟 API",
    version="1",
    description=(
        "Civil-affairs platform for Zhoushan: regions and islands, canteens, elders. "
        "Every answer is limited to the caller's area. Errors carry a stable `code` and a "
        "Chinese and an English message."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=django_auth,
)
api.add_router("/", geo_router)
api.add_router("/canteens", canteens_router)
api.add_router("/elders", elders_router)
api.add_router("/", meals_router)
api.add_router("/charity", charity_router)


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The answer to a refusal, in the shape every endpoint uses."""
    return api.create_response(request, {"error": error.as_dict()}, status=error.status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(NinjaValidationError)
def malformed(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error_response(
        request,
        DomainError(
            code="malformed_input",
            message_zh="请求格式不正确。",
            message_en="The request is malformed.",
            status=400,
            details={"errors": exc.errors},
        ),
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        DomainError(
            code="not_authenticated",
            message_zh="请先登录。",
            message_en="Sign in first.",
            status=401,
        ),
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(
        request,
        DomainError(
            code=f"http_{exc.status_code}",
            message_zh=str(exc),
            message_en=str(exc),
            status=exc.status_code,
        ),
    )
