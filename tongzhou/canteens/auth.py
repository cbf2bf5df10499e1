"""How a counter terminal signs its API requests: `Authorization: Bearer tzt_<key id>_<secret>`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from tongzhou.canteens.models import Terminal
from tongzhou.canteens.services import PresentedTerminal, terminal_authenticate, terminal_presented


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, as ninja's HttpBearer reads it (None
    when there is none)."""
    if not authorization:
        return None
    scheme, *rest = authorization.split(" ")
    return " ".join(rest) if scheme.lower() == "bearer" else None


class TerminalAuth(HttpBearer):
    openapi_description = "A counter terminal's credential: `Bearer tzt_<key id>_<secret>`."

    def __call__(self, request: HttpRequest) -> PresentedTerminal | None:
        # From META: `request.headers` would map every header to read this one.
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        return None if token is None else self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> PresentedTerminal:
        # Checked for its form here (a 401 DomainError with its code); verified against the
        # database by `request_terminal`, or, for a card sale, by the sale's own read.
        presented = terminal_presented(token)
        request.terminal = presented  # type: ignore[attr-defined]
        return presented


terminal_auth = TerminalAuth()


def request_terminal(request: HttpRequest) -> Terminal | None:
    """The terminal that signed the request, verified (None for staff signed in)."""
    presented = getattr(request, "terminal", None)
    return terminal_authenticate(presented) if presented is not None else None


def signing_terminal(request: HttpRequest) -> Terminal:
    """The verified terminal of an endpoint that only terminals may call."""
    terminal = request_terminal(request)
    assert terminal is not None, "the endpoint's auth is terminal_auth"
    return terminal


def presented_terminal(request: HttpRequest) -> PresentedTerminal:
    """The credential a terminal presented, not yet verified (a card sale verifies it in its
    own read)."""
    presented = getattr(request, "terminal", None)
    assert isinstance(presented, PresentedTerminal)
    return presented
