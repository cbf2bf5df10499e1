"""The counter's sale on a short path through Django: the checkout lane.

A terminal's `POST /api/v1/checkout` is most of the platform's traffic, and about a third
of the server's CPU per sale went to the framework around it, much of that to machinery that
does nothing for a sale: the middleware that serves browsers (sessions, CSRF, signed-in
users, messages, static files), URL resolution, and ninja's operation (parameter models,
authentication loop, exception dispatch). The lane is a Django handler of its own that
serves exactly that request:

- only the middleware that shapes an API answer runs, in the order `settings.MIDDLEWARE`
  gives (`ANSWER_MIDDLEWARE`: security headers, the request id, the language of the messages,
  host validation and Content-Length, X-Frame-Options);
- its one view is the same `meals.api.sell` the ninja endpoint calls, refusals are rendered
  by the same `error_response`, and Django's own handler sends the request signals (which
  keep the database connection healthy), logs refusals and turns exceptions into 500s.

It takes a request only when ninja would pass it to the view: a Bearer credential, an
Idempotency-Key header and a body that `CheckoutIn` accepts (parsed by orjson, the body holding
no number it would read differently from ninja's json). Anything else (a malformed body,
a missing header, a body over Django's size limit) goes to the full stack, which answers it
as it always has. `meals/tests/test_checkout_lane.py` compares the two paths' answers byte for
byte. `TONGZHOU_CHECKOUT_LANE=0` serves everything through the full stack.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string
from pydantic import ValidationError

from config.api import error_response
from tongzhou.core.errors import DomainError
from tongzhou.meals import services
from tongzhou.meals.api import CheckoutIn, bearer_token, sell, terminal_auth

# What shapes a terminal's answer. The rest of settings.MIDDLEWARE serves browsers: static
# files, sessions, CSRF (ninja's views are exempt and a Bearer credential is no cookie), the
# signed-in user and messages, none of which a terminal's sale reads or answers with.
ANSWER_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "tongzhou.core.middleware.RequestIdMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)
# The hooks a handler calls around the view; the lane has no URL match to call them with.
_VIEW_HOOKS = ("process_view", "process_exception", "process_template_response")
_TAKEN = "tongzhou.checkout"  # the environ key carrying the taken sale to the view

StartResponse = Callable[..., Any]


class CheckoutLane(WSGIHandler):
    """Serves the counters' sales itself and hands every other request to `full`."""

    def __init__(self, full: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.full = full
        self.path = reverse("api-v1:checkout")  # PATH_INFO, without the script prefix
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        handler = convert_exception_to_response(self._sell)
        for path in reversed(settings.MIDDLEWARE):
            if path not in ANSWER_MIDDLEWARE:
                continue
            middleware = import_string(path)(handler)
            if any(hasattr(middleware, hook) for hook in _VIEW_HOOKS):
                raise ImproperlyConfigured(f"{path} needs a view hook the checkout lane lacks")
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        taken = self.takes(environ)
        if taken is None:
            return self.full(environ, start_response)
        environ[_TAKEN] = taken
        return super().__call__(environ, start_response)

    def takes(self, environ: dict[str, Any]) -> tuple[str, Any, CheckoutIn] | None:
        """The Bearer token and the body (as JSON and as validated) of a sale the lane
        serves, else None. Reads the body of a sale that looks like one, and leaves it
        readable again."""
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return None
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token is None:
            return None
        if "HTTP_IDEMPOTENCY_KEY" not in environ:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length <= 0 or (limit is not None and length > limit):
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # for whichever handler serves it
        try:
            data = orjson.loads(body)  # stricter than ninja's json: no NaN, no lone surrogate
            if not _integral(data):
                return None
            return token, data, CheckoutIn.model_validate(data)
        except (ValueError, ValidationError):  # ninja's answer: malformed_input and why
            return None

    def _sell(self, request: HttpRequest) -> HttpResponse:
        token, data, payload = request.META.pop(_TAKEN)
        try:
            return sell(
                request,
                payload,
                request.META["HTTP_IDEMPOTENCY_KEY"],
                terminal=terminal_auth.authenticate(request, token),
                fingerprint=services.request_fingerprint(data),
            )
        except DomainError as error:
            return error_response(request, error)


def _integral(value: Any) -> bool:
    """Whether a parsed body holds no fractional number. A sale has none, and orjson reads
    an integer beyond 64 bits as one where the json module keeps it exact: such a body goes
    to the full stack, so that both ways give a body the same fingerprint."""
    if isinstance(value, dict):
        return all(_integral(item) for item in value.values())
    if isinstance(value, list):
        return all(_integral(item) for item in value)
    return not isinstance(value, float)
