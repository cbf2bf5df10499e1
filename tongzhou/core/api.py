"""Shared API pieces: the error body every endpoint documents."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorBody(Schema):
    code: str
    message: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = {}


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
