"""Settlement steps, each by its role and audited: the canteen submits (its sales are then
fixed in the statement), the town or district reviews, the city approves and records the
payment. Either reviewer may send a statement back to the canteen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.audit.services import audit_record
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from tongzhou.core.notify import Message, notify
from tongzhou.settlement.models import (
    AnomalyCase,
    AnomalyResolution,
    Cycle,
    EntryKind,
    SettlementPeriod,
    Statement,
    StatementComment,
    StatementEntry,
    StatementStatus,
    StatementStep,
)
from tongzhou.settlement.selectors import (
    pending_reversals,
    pending_sales,
    statement_figures,
    statements_visible_to,
)


def period_bounds(cycle: str, day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = day.month if cycle == Cycle.MONTHLY else (day.month - 1) // 3 * 3 + 1
    start = day.replace(month=first_month, day=1)
    months = 1 if cycle == Cycle.MONTHLY else 3
    year, month = divmod(start.month - 1 + months, 12)
    return start, dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def month_argument(text: str) -> dt.date:
    """The first day of a month given as YYYY-MM (commands and pages)."""
    try:
        return dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise ValidationFailed(
            "month_invalid", "月份格式应为 YYYY-MM。", "Give the month as YYYY-MM."
        ) from None


def period_for(cycle: str, day: dt.date) -> SettlementPeriod:
    start, end = period_bounds(cycle, day)
    return SettlementPeriod.objects.get_or_create(
        cycle=cycle, starts_on=start, defaults={"ends_on": end}
    )[0]


def statement_for(*, actor: Any, canteen: Canteen, day: dt.date) -> Statement:
    """The canteen's statement for the period holding `day` (a draft until submitted)."""
    require_cap(actor, Cap.MEAL_VIEW, "查看结算", "see settlement")
    if not Canteen.objects.filter(scope_for(actor).canteen_q(), pk=canteen.pk).exists():
        raise NotFound("食堂", "canteen")
    period = period_for(canteen.settlement_cycle, day)
    found = Statement.objects.filter(period=period, canteen=canteen).first()
    if found is not None:
        return found
    # Opening a draft is a write: for those who take a step on it, not for readers.
    steps = (Cap.SETTLEMENT_SUBMIT, Cap.SETTLEMENT_REVIEW, Cap.SETTLEMENT_APPROVE)
    if not any(has_cap(actor, cap) for cap in steps):
        raise PermissionDenied("开立结算单", "open a statement")
    return Statement.objects.get_or_create(period=period, canteen=canteen)[0]


def _locked(actor: Any, statement_id: int, cap: Cap, zh: str, en: str) -> Statement:
    require_cap(actor, cap, zh, en)
    statement = (
        statements_visible_to(actor).select_for_update(of=("self",)).filter(pk=statement_id).first()
    )
    if statement is None:
        raise NotFound("结算单", "statement")
    return statement


def _audit(actor: Any, action: str, statement: Statement, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=statement,
        after={"status": statement.status, **after},
        scope_path=statement.canteen.village.path,
        canteen_id=statement.canteen_id,
    )


def _wrong_step(statement: Statement) -> DomainError:
    return Conflict(
        "statement_wrong_step",
        f"结算单当前状态为“{statement.get_status_display()}”，不能进行此操作。",
        f"The statement is '{statement.status}'; this step does not apply.",
    )


@transaction.atomic
def statement_submit(*, actor: Any, statement_id: int, comment: str = "") -> Statement:
    """The canteen submits a finished period: its sales and reversals dated up to the end
    (late ones from earlier periods included, as adjustments) are fixed in the statement."""
    statement = _locked(
        actor, statement_id, Cap.SETTLEMENT_SUBMIT, "提交结算单", "submit statements"
    )
    if statement.status != StatementStatus.DRAFT:
        raise _wrong_step(statement)
    period = statement.period
    if clock.today() <= period.ends_on:
        raise Conflict(
            "period_not_over",
            f"{period}尚未结束，结束后才能提交。",
            "The period is not over yet.",
        )
    earlier = Statement.objects.filter(
        canteen_id=statement.canteen_id,
        status=StatementStatus.DRAFT,
        period__ends_on__lt=period.starts_on,
    ).select_related("period")
    if (first := earlier.order_by("period__starts_on").first()) is not None:
        raise Conflict(
            "earlier_statement_open",
            f"请先提交{first.period}的结算单。",
            f"Submit the statement for {first.period.starts_on:%Y-%m} first.",
        )
    start = period.starts_on
    entries = [
        StatementEntry(statement=statement, meal_id=pk, kind=EntryKind.SALE, adjustment=day < start)
        for pk, day in pending_sales(statement).values_list("pk", "business_date")
    ] + [
        StatementEntry(statement=statement, meal_id=pk, kind=EntryKind.REVERSAL,
                       adjustment=day < start)
        for pk, day in pending_reversals(statement).values_list("pk", "reversal__business_date")
    ]  # fmt: skip
    StatementEntry.objects.bulk_create(entries, batch_size=2000)
    statement.status = StatementStatus.SUBMITTED
    statement.submitted_at, statement.submitted_by = clock.now(), actor
    statement.totals = statement_figures(statement).as_json()
    statement.save()
    _comment(actor, statement, StatementStep.SUBMIT, comment)
    _audit(actor, "settlement.submit", statement, entries=len(entries),
           payable_fen=statement.totals["payable_fen"], comment=comment.strip()[:300])  # fmt: skip
    return statement


def _comment(actor: Any, statement: Statement, step: str, text: str) -> None:
    """Keep what the step said, where the canteen and the next reviewer read it."""
    StatementComment.objects.create(
        statement=statement, step=step, author=actor, text=text.strip()[:300]
    )


def _advance(
    actor: Any, statement: Statement, *, step: str, to: str, stamp: str, comment: str
) -> Statement:
    """Move a statement one step on, stamping when and by whom (`stamp`_at, `stamp`_by)."""
    statement.status = to
    setattr(statement, f"{stamp}_at", clock.now())
    setattr(statement, f"{stamp}_by", actor)
    statement.save()
    _comment(actor, statement, step, comment)
    _audit(actor, f"settlement.{step}", statement, comment=comment.strip()[:300])
    return statement


@transaction.atomic
def statement_review(*, actor: Any, statement_id: int, comment: str = "") -> Statement:
    statement = _locked(
        actor, statement_id, Cap.SETTLEMENT_REVIEW, "审核结算单", "review statements"
    )
    if statement.status != StatementStatus.SUBMITTED:
        raise _wrong_step(statement)
    return _advance(actor, statement, step=StatementStep.REVIEW, to=StatementStatus.REVIEWED,
                    stamp="reviewed", comment=comment)  # fmt: skip


@transaction.atomic
def statement_approve(*, actor: Any, statement_id: int, comment: str = "") -> Statement:
    statement = _locked(
        actor, statement_id, Cap.SETTLEMENT_APPROVE, "批准结算单", "approve statements"
    )
    if statement.status != StatementStatus.REVIEWED:
        raise _wrong_step(statement)
    return _advance(actor, statement, step=StatementStep.APPROVE, to=StatementStatus.APPROVED,
                    stamp="approved", comment=comment)  # fmt: skip


@transaction.atomic
def statement_pay(*, actor: Any, statement_id: int, reference: str) -> Statement:
    statement = _locked(actor, statement_id, Cap.SETTLEMENT_APPROVE, "登记付款", "record payments")
    if statement.status != StatementStatus.APPROVED:
        raise _wrong_step(statement)
    if not reference.strip():
        raise ValidationFailed(
            "payment_reference_required", "请填写付款凭证号。", "Give the payment reference."
        )
    statement.status = StatementStatus.PAID
    statement.paid_at, statement.paid_by = clock.now(), actor
    statement.payment_reference = reference.strip()[:60]
    statement.save()
    _comment(actor, statement, StatementStep.PAY, statement.payment_reference)
    _audit(actor, "settlement.pay", statement, reference=statement.payment_reference)
    return statement


@transaction.atomic
def statement_return(*, actor: Any, statement_id: int, reason: str) -> Statement:
    """Send a submitted or reviewed statement back to the canteen. Its entries stay with it
    (they never move to another period); resubmitting adds what has come in since."""
    statement = _locked(actor, statement_id, Cap.MEAL_VIEW, "退回结算单", "return statements")
    status = statement.status
    may = (status == StatementStatus.SUBMITTED and has_cap(actor, Cap.SETTLEMENT_REVIEW)) or (
        status == StatementStatus.REVIEWED and has_cap(actor, Cap.SETTLEMENT_APPROVE)
    )
    if not may:
        raise _wrong_step(statement)
    if not reason.strip():
        raise ValidationFailed("reason_required", "请填写退回原因。", "Give a reason.")
    statement.status = StatementStatus.DRAFT
    statement.save(update_fields=["status"])
    _comment(actor, statement, StatementStep.RETURN, reason)
    _audit(actor, "settlement.return", statement, reason=reason.strip()[:300])
    managers = User.objects.filter(
        role=Role.CANTEEN_MANAGER, canteen_id=statement.canteen_id, is_active=True
    )
    notify([
        Message(to_name=str(manager), to_phone=manager.phone,
                text=f"【同舟】{statement.period}结算单被退回：{reason.strip()[:40]}。请修改后重新提交。",
                kind="statement_returned", link=f"/settlement/{statement.pk}/")
        for manager in managers
    ])  # fmt: skip
    return statement


@transaction.atomic
def anomaly_resolve(*, actor: Any, case_id: int, resolution: str, note: str) -> Any:
    """Record how a case was resolved (by the district or the city, inside their area)."""
    require_cap(actor, Cap.ANOMALY_REVIEW, "处理异常线索", "resolve anomaly cases")
    case = (
        AnomalyCase.objects.select_for_update()
        .filter(scope_for(actor).region_q("scope_path"), pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("异常线索", "anomaly case")
    if case.resolved_at is not None:
        raise Conflict("case_already_resolved", "该线索已处理。", "This case is already resolved.")
    if resolution not in AnomalyResolution.values or not note.strip():
        raise ValidationFailed(
            "resolution_required",
            "请选择处理结论并写明依据。",
            "Choose a resolution and write down what it rests on.",
        )
    case.resolution, case.note = resolution, note.strip()[:300]
    case.resolved_at, case.resolved_by = clock.now(), actor
    case.save()
    audit_record(
        actor=actor,
        action="anomaly.resolve",
        target=case,
        after={"resolution": resolution, "note": case.note},
        scope_path=case.scope_path,
    )
    return case
