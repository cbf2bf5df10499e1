"""Domain errors: a stable code plus a Chinese and an English message.

Services raise these; the API and pages render them. The code is the contract terminal
vendors and tests rely on; the messages are for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation


@dataclass
class DomainError(Exception):
    code: str
    message_zh: str
    message_en: str
    status: int = 400
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def message(self, language: str | None = None) -> str:
        language = language or translation.get_language() or "zh-hans"
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message(),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


class NotFound(DomainError):
    def __init__(self, what_zh: str = "对象", what_en: str = "object") -> None:
        super().__init__(
            code="not_found",
            message_zh=f"未找到该{what_zh}，或不在您的管辖范围内。",
            message_en=f"The {what_en} does not exist or is outside your area.",
            status=404,
        )


class PermissionDenied(DomainError):
    def __init__(self, action_zh: str = "执行此操作", action_en: str = "do this") -> None:
        super().__init__(
            code="permission_denied",
            message_zh=f"您的角色无权{action_zh}。",
            message_en=f"Your role is not allowed to {action_en}.",
            status=403,
        )


class ValidationFailed(DomainError):
    def __init__(self, code: str, message_zh: str, message_en: str, **details: Any) -> None:
        super().__init__(
            code=code, message_zh=message_zh, message_en=message_en, status=400, details=details
        )


def required_text(text: str, message_zh: str, message_en: str) -> str:
    """`text` stripped, or refused (`text_required`) with the message saying what to write."""
    if not text.strip():
        raise ValidationFailed("text_required", message_zh, message_en)
    return text.strip()


class Conflict(DomainError):
    """The request collides with the state of things (409): already done, already used,
    closed, or raced by another request. Retrying the same request will not help unless
    the message says so."""

    def __init__(self, code: str, message_zh: str, message_en: str, **details: Any) -> None:
        super().__init__(
            code=code, message_zh=message_zh, message_en=message_en, status=409, details=details
        )
