"""The platform's HTTP API: one NinjaAPI, versioned by path (/api/v1/), OpenAPI at
/api/v1/openapi.json. Each domain contributes a router; errors share one shape."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from tongzhou.bookings.api import router as bookings_router
from tongzhou.canteens.api import router as canteens_router
from tongzhou.canteens.api import terminal_router
from tongzhou.care.api import router as care_router
from tongzhou.charity.api import router as charity_router
from tongzhou.core.api import error_response, renderer
from tongzhou.core.errors import DomainError
from tongzhou.elders.api import router as elders_router
from tongzhou.geo.api import router as geo_router
from tongzhou.identity.api import router as identity_router
from tongzhou.meals.api import router as meals_router
from tongzhou.operations.metrics import count_refusal
from tongzhou.oversight.api import router as oversight_router
from tongzhou.purses.api import router as purses_router

api = NinjaAPI(
    renderer=renderer,
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
    # The schema and the interactive docs: signed-in staff only, unless published.
    docs_decorator=None if settings.PUBLIC_API_DOCS else staff_member_required,
    auth=django_auth,
)
api.add_router("/", geo_router)
api.add_router("/canteens", canteens_router)
api.add_router("/terminal", terminal_router)
api.add_router("/elders", elders_router)
api.add_router("/", meals_router)
api.add_router("/", identity_router)
api.add_router("/", purses_router)
api.add_router("/", bookings_router)
api.add_router("/charity", charity_router)
api.add_router("/care", care_router)
api.add_router("/", oversight_router)


def refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    """Every refusal the API answers: counted by its code, in the one shape."""
    count_refusal(error.code)
    return error_response(request, error)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return refused(request, exc)


@api.exception_handler(NinjaValidationError)
def malformed(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return refused(
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
    return refused(
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
    return refused(
        request,
        DomainError(
            code=f"http_{exc.status_code}",
            message_zh=str(exc),
            message_en=str(exc),
            status=exc.status_code,
        ),
    )
