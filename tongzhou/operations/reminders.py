"""Overdue work, told to whoever must do it (`manage.py notify_overdue`, run each morning
and, in a deployment, again after lunch): a wellness alert nobody has closed reaches the
village's community workers, and after a day the town's officers too; a statement waiting
too long for review reaches the reviewers. One message per person, counting what waits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.bookings.models import WellnessAlert
from tongzhou.core.notify import Message
from tongzhou.settlement.models import Statement, StatementStatus

ALERT_OVERDUE = dt.timedelta(hours=2)
ALERT_ESCALATE = dt.timedelta(hours=24)
STATEMENT_OVERDUE = dt.timedelta(days=5)


ALERT_LATE = (
    "【同舟】您有{n}条送餐无人应答的关爱提醒超过2小时未处理，请尽快查看老人情况并登记结果。"
)
ALERT_ESCALATED = "【同舟】辖区内有{n}条关爱提醒超过24小时未处理，请督促社区跟进。"
STATEMENT_LATE = "【同舟】有{n}份食堂结算单等待您审核已超过5天，请及时处理。"


def _people(role: str, paths: list[str]) -> dict[Any, int]:
    """Active users of a role, with how many of the paths lie inside their region."""
    counts: dict[Any, int] = {}
    if not paths:
        return counts
    for user in User.objects.filter(role=role, is_active=True).select_related("region"):
        region = user.region
        n = sum(1 for path in paths if region is not None and path.startswith(region.path))
        if n:
            counts[user] = n
    return counts


def overdue_messages(now: dt.datetime) -> list[Message]:
    open_alerts = WellnessAlert.objects.filter(closed_at__isnull=True).select_related("village")
    late = [a.village.path for a in open_alerts.filter(raised_at__lte=now - ALERT_OVERDUE)]
    later = [a.village.path for a in open_alerts.filter(raised_at__lte=now - ALERT_ESCALATE)]
    waiting = Statement.objects.filter(
        Q(status=StatementStatus.SUBMITTED, submitted_at__lte=now - STATEMENT_OVERDUE)
        | Q(status=StatementStatus.REVIEWED, reviewed_at__lte=now - STATEMENT_OVERDUE)
    ).select_related("canteen__village")
    submitted = [s.canteen.village.path for s in waiting if s.status == StatementStatus.SUBMITTED]
    reviewed = [s.canteen.village.path for s in waiting if s.status == StatementStatus.REVIEWED]
    rounds = (
        (Role.VILLAGE_WORKER, late, ALERT_LATE, "alert_overdue", "/alerts/"),
        (Role.TOWN_OFFICER, later, ALERT_ESCALATED, "alert_escalated", "/alerts/"),
        (Role.TOWN_OFFICER, submitted, STATEMENT_LATE, "statement_overdue", "/settlement/"),
        (Role.DISTRICT_OFFICER, submitted, STATEMENT_LATE, "statement_overdue", "/settlement/"),
        (Role.CITY_BUREAU, reviewed, STATEMENT_LATE, "statement_overdue", "/settlement/"),
    )
    return [
        _message(user, text.format(n=n), kind, link)
        for role, paths, text, kind, link in rounds
        for user, n in _people(role, paths).items()
    ]


def _message(user: Any, text: str, kind: str, link: str) -> Message:
    return Message(to_name=str(user), to_phone=user.phone, text=text, kind=kind, link=link)
