"""督办: an item is raised (立项) for a reason and assigned (交办) to a unit with a deadline;
the unit accepts it (签收), handles it (办理) and reports back (反馈); whoever raised it reviews
the report (复核) and closes it (办结) or sends it back (退办). A later deadline is granted only
when asked before the deadline, with a reason. Every step is kept and audited.

Colours: blue when the deadline is three days away or less, yellow when more than half the
time is gone and the unit has not started, red when overdue; none when closed or comfortable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.audit.services import audit_record
from tongzhou.board.models import (
    OPEN_ITEM_STATUSES,
    Extension,
    Indicator,
    ItemStatus,
    ItemStep,
    SupervisionItem,
)
from tongzhou.core import clock
from tongzhou.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    required_text,
)
from tongzhou.core.notify import Message, notify
from tongzhou.geo.models import Region

NEAR_DAYS = 3


def colour(item: SupervisionItem, day: dt.date) -> str:
    if item.status == ItemStatus.CLOSED:
        return ""
    if day > item.deadline:
        return "red"
    if (item.deadline - day).days <= NEAR_DAYS:
        return "blue"
    raised = timezone.localdate(item.raised_at)
    span = max((item.deadline - raised).days, 1)
    started = item.status in (ItemStatus.IN_PROGRESS, ItemStatus.REPORTED)
    if (day - raised).days / span > 0.5 and not started:
        return "yellow"
    return ""


def _step(item: SupervisionItem, actor: Any, step: str, text: str = "") -> None:
    ItemStep.objects.create(item=item, step=step, actor=actor, text=text.strip()[:500])
    audit_record(
        actor=actor,
        action=f"board.item.{step}",
        target=item,
        after={"status": item.status, "text": text.strip()[:200]},
        scope_path=item.unit.path,
    )


@transaction.atomic
def item_raise(
    *,
    actor: Any,
    title: str,
    source: str,
    basis: str,
    unit: Region,
    deadline: dt.date,
    person: str = "",
    indicator: Indicator | None = None,
    period_id: str = "",
    source_ref: str = "",
) -> SupervisionItem:
    """立项 and 交办 at once: the item goes to the unit (inside the raiser's area)."""
    require_cap(actor, Cap.BOARD_APPROVE, "立项督办", "raise supervision items")
    if not scope_for(actor).contains_path(unit.path):
        raise NotFound("责任单位", "unit")
    if deadline <= clock.today():
        raise ValidationFailed(
            "deadline_past", "办理期限须晚于今天。", "The deadline must be after today."
        )
    item = SupervisionItem.objects.create(
        title=required_text(title, "请填写督办事项。", "Give the item a title.")[:120],
        source=source,
        basis=required_text(basis, "请写明立项依据。", "Say what the item rests on.")[:300],
        unit=unit,
        person=person.strip()[:40],
        deadline=deadline,
        indicator=indicator,
        period_id=period_id,
        source_ref=source_ref[:60],
        raised_by=actor,
        status=ItemStatus.ASSIGNED,
    )
    _step(item, actor, "assign", basis)
    _tell_unit(item, f"【同舟】督办事项“{item.title[:30]}”已交办，请于{deadline:%m月%d日}前办结。")
    return item


def _tell_unit(item: SupervisionItem, text: str) -> None:
    officers = User.objects.filter(
        region=item.unit,
        is_active=True,
        role__in=[Role.TOWN_OFFICER, Role.DISTRICT_OFFICER, Role.CITY_BUREAU, Role.VILLAGE_WORKER],
    )
    notify(
        [
            Message(
                to_name=str(u),
                to_phone=u.phone,
                text=text,
                kind="supervision",
                link=f"/board/supervision/{item.pk}/",
            )
            for u in officers
        ]
    )


def _locked(actor: Any, item_id: int) -> SupervisionItem:
    item = (
        SupervisionItem.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not (
        scope_for(actor).contains_path(item.unit.path)
        or item.raised_by_id == getattr(actor, "pk", None)
    ):
        raise NotFound("督办事项", "supervision item")
    return item


def _expect(item: SupervisionItem, *statuses: str) -> None:
    if item.status not in statuses:
        raise Conflict(
            "item_wrong_step",
            f"督办事项当前为“{item.get_status_display()}”，不能进行此操作。",
            f"The item is '{item.status}'; this step does not apply.",
        )


def _the_unit(actor: Any, item: SupervisionItem) -> None:
    """Steps of the responsible unit: taken by someone of that unit (or above it)."""
    require_cap(actor, Cap.BOARD_REPORT, "办理督办事项", "handle supervision items")
    if not scope_for(actor).contains_path(item.unit.path):
        raise NotFound("督办事项", "supervision item")


@transaction.atomic
def item_accept(*, actor: Any, item_id: int) -> SupervisionItem:
    item = _locked(actor, item_id)
    _the_unit(actor, item)
    _expect(item, ItemStatus.ASSIGNED)
    item.status = ItemStatus.ACCEPTED
    item.save(update_fields=["status"])
    _step(item, actor, "accept")
    return item


@transaction.atomic
def item_progress(*, actor: Any, item_id: int, text: str) -> SupervisionItem:
    item = _locked(actor, item_id)
    _the_unit(actor, item)
    _expect(item, ItemStatus.ACCEPTED, ItemStatus.IN_PROGRESS)
    item.status = ItemStatus.IN_PROGRESS
    item.save(update_fields=["status"])
    _step(item, actor, "progress", required_text(text, "请写明办理进展。", "Say what was done."))
    return item


@transaction.atomic
def item_report(*, actor: Any, item_id: int, text: str) -> SupervisionItem:
    """反馈: the unit says it is done and how."""
    item = _locked(actor, item_id)
    _the_unit(actor, item)
    _expect(item, ItemStatus.ACCEPTED, ItemStatus.IN_PROGRESS)
    item.status = ItemStatus.REPORTED
    item.save(update_fields=["status"])
    _step(
        item, actor, "report", required_text(text, "请写明办理结果。", "Say how it was resolved.")
    )
    return item


def _reviewer(actor: Any, item: SupervisionItem) -> None:
    """Whoever raised the item reviews it (or someone above them)."""
    require_cap(actor, Cap.BOARD_APPROVE, "复核督办事项", "review supervision items")
    raiser = item.raised_by
    above = raiser.region is not None and scope_for(actor).contains_path(raiser.region.path)
    if raiser.pk != actor.pk and not above:
        raise PermissionDenied("复核他人立项的督办事项", "review an item someone else raised")


@transaction.atomic
def item_review(*, actor: Any, item_id: int, close: bool, text: str) -> SupervisionItem:
    """复核: closed (办结) or sent back to be handled again (退办), with why."""
    item = _locked(actor, item_id)
    _reviewer(actor, item)
    _expect(item, ItemStatus.REPORTED)
    reason = required_text(text, "请写明复核意见。", "Give the review's reason.")
    if close:
        item.status, item.closed_at = ItemStatus.CLOSED, clock.now()
    else:
        item.status = ItemStatus.IN_PROGRESS
        _tell_unit(item, f"【同舟】督办事项“{item.title[:30]}”被退办：{reason[:40]}。")
    item.save(update_fields=["status", "closed_at"])
    _step(item, actor, "close" if close else "send_back", reason)
    return item


@transaction.atomic
def extension_ask(*, actor: Any, item_id: int, reason: str, new_deadline: dt.date) -> Extension:
    item = _locked(actor, item_id)
    _the_unit(actor, item)
    _expect(item, *[s for s in OPEN_ITEM_STATUSES if s != ItemStatus.REPORTED])
    if clock.today() > item.deadline:
        raise Conflict(
            "extension_too_late",
            "已过办理期限，不能再申请延期。",
            "The deadline has passed; an extension must be asked before it.",
        )
    if new_deadline <= item.deadline:
        raise ValidationFailed(
            "extension_not_later",
            "延期后的期限须晚于原期限。",
            "The new deadline must be after the current one.",
        )
    if item.extensions.filter(granted__isnull=True).exists():
        raise Conflict(
            "extension_pending",
            "已有一项延期申请待批复。",
            "An extension is already waiting for a decision.",
        )
    asked = Extension.objects.create(
        item=item,
        asked_by=actor,
        new_deadline=new_deadline,
        reason=required_text(reason, "请写明延期理由。", "Say why more time is needed.")[:300],
    )
    _step(item, actor, "ask_more_time", f"{new_deadline:%Y-%m-%d}：{asked.reason}")
    return asked


@transaction.atomic
def extension_decide(*, actor: Any, extension_id: int, grant: bool) -> Extension:
    asked = Extension.objects.select_related("item").filter(pk=extension_id).first()
    if asked is None or asked.granted is not None:
        raise NotFound("延期申请", "extension")
    item = _locked(actor, asked.item_id)
    _reviewer(actor, item)
    asked.granted, asked.decided_by = grant, actor
    asked.save(update_fields=["granted", "decided_by"])
    if grant:
        item.deadline = asked.new_deadline
        item.save(update_fields=["deadline"])
    _step(
        item,
        actor,
        "grant_more_time" if grant else "refuse_more_time",
        f"{asked.new_deadline:%Y-%m-%d}",
    )
    return asked


def items_remind(*, day: dt.date | None = None) -> int:
    """D−3 reminders to the unit, and the overdue to the raiser: once a day each."""
    day = day or clock.today()
    sent = 0
    for item in (
        SupervisionItem.objects.filter(status__in=OPEN_ITEM_STATUSES)
        .exclude(reminded_on=day)
        .select_related("unit", "raised_by")
    ):
        shade = colour(item, day)
        if shade == "blue":
            _tell_unit(
                item,
                f"【同舟】督办事项“{item.title[:30]}”将于{item.deadline:%m月%d日}到期，请抓紧办结。",
            )
        elif shade == "red":
            _tell_unit(item, f"【同舟】督办事项“{item.title[:30]}”已逾期，请立即办结。")
            raiser = item.raised_by
            notify(
                [
                    Message(
                        to_name=str(raiser),
                        to_phone=raiser.phone,
                        kind="supervision",
                        text=f"【同舟】{item.unit.name}的督办事项“{item.title[:30]}”已逾期。",
                        link=f"/board/supervision/{item.pk}/",
                    )
                ]
            )
        else:
            continue
        SupervisionItem.objects.filter(pk=item.pk).update(reminded_on=day)
        sent += 1
    return sent


def items_visible_to(actor: Any) -> QuerySet[SupervisionItem]:
    """Items of units inside the actor's area, and those they raised."""
    scope = scope_for(actor)
    mine = SupervisionItem.objects.filter(scope.region_q("unit__path"))
    if has_cap(actor, Cap.BOARD_APPROVE):
        mine = mine | SupervisionItem.objects.filter(raised_by=actor)
    return mine.select_related("unit", "indicator", "raised_by").distinct()


@dataclass(frozen=True)
class UnitReview:
    """督考问效: how one unit handled the items given to it over a span of time."""

    unit: Region
    given: int
    closed: int
    closed_on_time: int
    overdue_open: int
    sent_back: int
    more_time: int

    @property
    def on_time_share(self) -> float | None:
        """Closed by the deadline, of the items that have closed or fallen due; None while
        nothing has come due (not shown as 0 %)."""
        due = self.closed + self.overdue_open
        return self.closed_on_time / due if due else None


def units_review(actor: Any, start: dt.date, end: dt.date, day: dt.date) -> list[UnitReview]:
    """Each unit's items raised between `start` and `end`: given, closed, closed by their
    deadline (a granted extension moves it), overdue and open on `day`, sent back (退办) and
    granted more time; the units that kept their deadlines first."""
    raised = items_visible_to(actor).filter(raised_at__date__range=(start, end))
    items = raised.annotate(
        sent_back=Count("steps", filter=Q(steps__step="send_back"), distinct=True),
        more_time=Count("extensions", filter=Q(extensions__granted=True), distinct=True),
    )
    tally: dict[int, dict[str, Any]] = {}
    for item in items:
        row = tally.setdefault(
            item.unit_id,
            {"unit": item.unit, "given": 0, "closed": 0, "closed_on_time": 0, "overdue_open": 0}
            | {"sent_back": 0, "more_time": 0},
        )
        row["given"] += 1
        row["sent_back"] += item.sent_back
        row["more_time"] += item.more_time
        if item.status == ItemStatus.CLOSED and item.closed_at is not None:
            row["closed"] += 1
            row["closed_on_time"] += timezone.localdate(item.closed_at) <= item.deadline
        elif item.deadline < day:
            row["overdue_open"] += 1
    reviews = [UnitReview(**row) for row in tally.values()]
    return sorted(
        reviews,
        key=lambda r: (-(r.on_time_share if r.on_time_share is not None else -1), r.unit.path),
    )
