"""The booking actions a form can ask for, shared by the community worker's page and the
elder's own page: each parses the form, calls the service and says what was done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from tongzhou.bookings import services
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import ValidationFailed
from tongzhou.core.text import only_ascii_digits
from tongzhou.elders.models import Elder
from tongzhou.meals.models import SESSION_CHOICES

SESSIONS = [key for key, _label in SESSION_CHOICES]
ALL_ACTIONS = ("book", "cancel", "plan", "pause", "end")


def parse_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise ValidationFailed(
            "date_invalid", "日期格式不正确。", "The date is not valid."
        ) from None


def parse_session(value: str | None) -> str:
    return value if value in SESSIONS else "lunch"


def _canteen(form: QueryDict) -> Canteen:
    value = form.get("canteen") or ""
    canteen = Canteen.objects.filter(pk=value).first() if only_ascii_digits(value) else None
    if canteen is None:
        raise ValidationFailed("canteen_required", "请选择食堂。", "Choose a canteen.")
    return canteen


def _plan_id(form: QueryDict) -> int:
    value = form.get("plan") or ""
    if not only_ascii_digits(value):
        raise ValidationFailed("plan_required", "请选择长期预订。", "Choose a standing booking.")
    return int(value)


def booking_action(
    *, actor: Any, elder: Elder, form: QueryDict, allowed: Container[str] = ALL_ACTIONS
) -> str:
    """Carry out the form's action; a refusal is raised as the service's DomainError."""
    action = form.get("action", "")
    if action not in allowed:
        raise ValidationFailed("action_invalid", "无法执行该操作。", "Unknown action.")
    if action == "book":
        services.booking_create(actor=actor, elder=elder, canteen=_canteen(form),
                                day=parse_date(form.get("day")),
                                session=parse_session(form.get("session")),
                                mode=form.get("mode", ""))  # fmt: skip
        return _("Booked.")
    if action == "cancel":
        services.booking_cancel(actor=actor, elder=elder, day=parse_date(form.get("day")),
                                session=parse_session(form.get("session")))  # fmt: skip
        return _("That meal is cancelled.")
    if action == "plan":
        until = form.get("ends_on")
        services.plan_create(actor=actor, elder=elder, canteen=_canteen(form),
                             session=parse_session(form.get("session")),
                             mode=form.get("mode", ""), weekdays="".join(form.getlist("weekdays")),
                             starts_on=parse_date(form.get("starts_on")),
                             ends_on=parse_date(until) if until else None)  # fmt: skip
        return _("Standing booking made.")
    if action == "pause":
        services.plan_pause(actor=actor, plan_id=_plan_id(form),
                            starts_on=parse_date(form.get("starts_on")),
                            ends_on=parse_date(form.get("ends_on")),
                            reason=form.get("reason", ""))  # fmt: skip
        return _("Paused; it resumes by itself.")
    last_day = parse_date(form.get("last_day"))
    services.plan_end(actor=actor, plan_id=_plan_id(form), last_day=last_day)
    return _("Standing booking ended.")
