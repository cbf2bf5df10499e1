"""Per-request context (request id) that services read without taking a request object."""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tongzhou_request_id", default=None
)


def current_request_id() -> str:
    """The id of the request being served, or a fresh one for commands and jobs."""
    value = _request_id.get()
    if value is None:
        value = uuid.uuid4().hex
        _request_id.set(value)
    return value


def request_id_if_any() -> str:
    """The id of the request being served, or "" outside one (logs, which must not make one)."""
    return _request_id.get() or ""


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)
