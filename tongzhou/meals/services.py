"""The sale of a meal, its void and its refund: the money-moving services of the 幸福食堂
counter (a sale at a counter, in the back office, of a delivered booking, or recorded while
offline).

Guarantees, each held by the database rather than by luck:
- one live subsidised meal per elder, session and day across the city (a partial unique
  index on SubsidyClaim);
- one sale per terminal receipt number (unique), and a retried request with the same
  Idempotency-Key replays the stored answer instead of charging again;
- no purse below zero (conditional UPDATE and a check constraint);
- every journal's entries sum to zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.canteens.models import Canteen, Terminal
from tongzhou.canteens.services import (
    BACK_OFFICE_TERMINAL,
    PresentedTerminal,
    TerminalAuthError,
    refuse_unless_selling,
    service_terminal,
    terminal_authenticate,
    terminal_verify,
)
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tongzhou.core.masking import mask_name
from tongzhou.core.money import yuan
from tongzhou.elders.ages import age_band, age_on
from tongzhou.elders.selectors import category_names
from tongzhou.identity.services import (
    Resolved,
    card_fill_verifier,
    card_unknown,
    presented_card_hashes,
    qr_refusal,
    refuse_blocked_card,
    refuse_unusable,
    resolve_credential,
    writes_on_recognition,
)
from tongzhou.ledger.models import AccountKind, JournalKind
from tongzhou.ledger.services import (
    InsufficientFunds,
    SalePosting,
    balanced_entries,
    purses_for,
    reverse,
    sale_counterparties,
)
from tongzhou.meals.models import IdempotencyRecord, Meal, MealStatus, SubsidyClaim
from tongzhou.meals.sale_store import (
    SaleConflict,
    SaleFacts,
    SalePlan,
    StoredAnswer,
    sale_facts,
    sale_write,
)
from tongzhou.subsidies.calculator import Outcome, QuoteInput, draw_from_purses, quote
from tongzhou.subsidies.models import SubsidyPolicy
from tongzhou.subsidies.selectors import PolicyInForce, policy_in_force

MAX_LINE_FEN = 100_000


@dataclass(frozen=True)
class Line:
    menu_item_id: int | None = None  # a dish of the day's menu, at the menu's price
    quantity: int = 1
    amount_fen: int | None = None  # a typed-in amount, where the canteen allows one
    label: str = ""
    booked_meal: bool = False  # the canteen's booked-meal price (a delivered booking)


@dataclass(frozen=True)
class CheckoutRequest:
    card: str
    session: str
    lines: list[Line]
    client_receipt_no: str
    device_time: dt.datetime | None = None
    accept_full_price: bool = False
    delivery: bool = False
    forgo_subsidy: bool = False  # re-posted at full price: the subsidy went to another sale


@dataclass
class CheckoutResult:
    status_code: int
    receipt: dict[str, Any]
    replayed: bool = False


def request_fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(terminal: Terminal, key: str, fingerprint: str) -> CheckoutResult | None:
    record = IdempotencyRecord.objects.filter(terminal=terminal, key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            "同一请求编号被用于不同内容的交易，已拒绝。",
            "This Idempotency-Key was already used for a different request.",
        )
    return CheckoutResult(record.status_code, record.response, replayed=True)


def _verified(terminal: Terminal | PresentedTerminal) -> Terminal:
    return terminal if isinstance(terminal, Terminal) else terminal_authenticate(terminal)


def _require_key(key: str) -> None:
    if not key or len(key) > 80:
        raise ValidationFailed(
            "idempotency_key_missing",
            "缺少请求编号（Idempotency-Key）。",
            "The Idempotency-Key header is missing or too long.",
        )


def idempotent(
    *,
    terminal: Terminal,
    key: str,
    fingerprint: str,
    work: Callable[[], dict[str, Any]],
    status_code: int = 201,
) -> CheckoutResult:
    """Run `work` once per (terminal, key): a retry with the same body gets the stored
    answer, a reuse with another body is refused, and concurrent twins charge once."""
    _require_key(key)
    try:
        with transaction.atomic():
            answer = work()
            IdempotencyRecord.objects.create(
                terminal=terminal,
                key=key,
                request_hash=fingerprint,
                status_code=status_code,
                response=answer,
            )
    except (IntegrityError, DomainError) as error:
        # Outside the rolled-back transaction: if a request with this key already committed
        # (a retry, or a twin that won a race), its answer is ours; otherwise ours stands.
        replayed = _replay(terminal, key, fingerprint)
        if replayed is not None:
            return replayed
        if isinstance(error, DomainError):
            raise
        raise _receipt_reused() from None
    return CheckoutResult(status_code, answer)


def _receipt_reused() -> DomainError:
    return Conflict(
        "receipt_no_reused",
        "该终端流水号已使用过。",
        "This terminal receipt number was already used.",
    )


def checkout(
    *,
    terminal: Terminal | PresentedTerminal,
    request: CheckoutRequest,
    idempotency_key: str,
    fingerprint: str,
) -> CheckoutResult:
    """A counter's sale. Its stored answer is written by the sale's own statement, so a
    retry finds either that answer or nothing at all."""
    _require_key(idempotency_key)
    try:
        receipt = _checkout(terminal, request, answer_to=(idempotency_key, fingerprint)).receipt
    except TerminalAuthError:
        raise
    except DomainError:
        terminal = _verified(terminal)  # the refused sale's read verified it already
        # A request with this key that committed (a retry, or a twin that won the race)
        # answers instead; then a refusal for a receipt number this terminal already used
        # says so first, whatever else went wrong. Both are looked up only on the refusal
        # path, so that a sale is spared the queries; unique constraints guard the sale.
        replayed = _replay(terminal, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed
        if Meal.objects.filter(
            terminal=terminal, client_receipt_no=request.client_receipt_no
        ).exists():
            raise _receipt_reused() from None
        raise
    return CheckoutResult(201, receipt)


def _refuse_outside_window(serving: tuple[dt.time, dt.time] | None, local: dt.datetime) -> None:
    if serving is None or not (serving[0] <= local.time() <= serving[1]):
        hours = f"{serving[0]:%H:%M}-{serving[1]:%H:%M}" if serving else "—"
        raise Conflict(
            "outside_session_window",
            f"现在不在本食堂该餐次的供餐时间内（{hours}）。",
            f"This canteen is not serving that meal now ({hours}).",
        )


@dataclass(frozen=True)
class SaleLimits:
    """What one sale may hold: the policy's caps for the meal session and the canteen's for a
    typed-in amount (0: dishes of the menu only)."""

    max_lines: int
    max_quantity: int
    max_total_fen: int
    open_amount_max_fen: int
    booked_meal_fen: int  # the canteen's price of a booked meal, for a delivered booking

    @classmethod
    def of(cls, policy: SubsidyPolicy, canteen: Canteen, session: str) -> SaleLimits:
        return cls(policy.max_lines, policy.max_quantity, policy.max_total_fen(session),
                   canteen.open_amount_max_fen, canteen.standard_meal_fen)  # fmt: skip


def _price_lines(
    lines: list[Line], menu: dict[int, tuple[str, int]], limits: SaleLimits
) -> tuple[int, list[dict[str, Any]]]:
    """The lines priced from the canteen's menu (or its booked-meal price, or a typed-in
    amount where the canteen allows one), refused beyond the limits."""
    if not lines:
        raise ValidationFailed("lines_empty", "没有点餐内容。", "The order has no lines.")
    if len(lines) > limits.max_lines:
        raise ValidationFailed(
            "sale_too_many_lines",
            f"一笔消费最多{limits.max_lines}个菜品。",
            f"A sale holds at most {limits.max_lines} lines.",
            max_lines=limits.max_lines,
        )
    priced: list[dict[str, Any]] = []
    for line in lines:
        if not 1 <= line.quantity <= limits.max_quantity:
            raise ValidationFailed(
                "quantity_over_limit",
                f"每个菜品最多{limits.max_quantity}份。",
                f"At most {limits.max_quantity} portions of a dish.",
                max_quantity=limits.max_quantity,
            )
        if line.menu_item_id is not None:
            item = menu.get(line.menu_item_id)
            if item is None:
                raise ValidationFailed(
                    "menu_item_unknown",
                    "该菜品不在本食堂今天这一餐的菜单上。",
                    "That dish is not on this canteen's menu for this meal today.",
                )
            name, unit = item
        elif line.booked_meal:
            name, unit = line.label or "餐费", limits.booked_meal_fen
        elif line.amount_fen is not None:
            _refuse_open_amount(line.amount_fen, limits.open_amount_max_fen)
            name, unit = line.label or "餐费", line.amount_fen
        else:
            raise ValidationFailed(
                "line_invalid",
                "每行须为菜单菜品或一个有效金额。",
                "Each line needs a menu item or a valid amount.",
            )
        priced.append({"name": name, "unit_fen": unit, "quantity": line.quantity})
    total = sum(line["unit_fen"] * line["quantity"] for line in priced)
    if total > limits.max_total_fen:
        raise ValidationFailed(
            "sale_total_over_limit",
            f"本餐次一笔消费不能超过{yuan(limits.max_total_fen)}元（本笔{yuan(total)}元）。",
            f"A sale of this meal is at most {yuan(limits.max_total_fen)} yuan "
            f"(this one: {yuan(total)}).",
            total_fen=total,
            max_total_fen=limits.max_total_fen,
        )
    return total, priced


def _refuse_open_amount(amount_fen: int, most_fen: int) -> None:
    if most_fen == 0:
        raise ValidationFailed(
            "open_amount_not_allowed",
            "本食堂只按菜单收费，请选择今天的菜品。",
            "This canteen sells dishes of the day's menu only; choose a dish.",
        )
    if not 0 < amount_fen <= most_fen:
        raise ValidationFailed(
            "open_amount_over_limit",
            f"手输金额每份应在0.01元到{yuan(most_fen)}元之间。",
            f"A typed-in amount is 0.01 to {yuan(most_fen)} yuan a portion.",
            max_amount_fen=most_fen,
        )


# A sale re-reads and re-prices when a concurrent sale of the same elder changed what it
# read; each retry means another sale committed, so a handful is plenty.
SALE_ATTEMPTS = 5


@dataclass
class _Sale:
    """One sale as the counter sent it, priced and posted by `_checkout`."""

    signed_by: Terminal | PresentedTerminal  # a credential is verified by the first read
    request: CheckoutRequest
    local: dt.datetime
    at_the_counter: bool  # a credential was presented now (not a delivery or a re-post)
    card_hashes: tuple[str, str] | None  # set when a card was presented: the read looks it up
    resolved: Resolved | None  # otherwise, who was recognised (QR, face, a booking)
    answer_to: tuple[str, str] | None  # (Idempotency-Key, fingerprint) of an API request
    late: bool = False  # made earlier on a counter that was offline: it stands as it was made

    @property
    def day(self) -> dt.date:
        return self.local.date()

    @property
    def terminal(self) -> Terminal:
        if isinstance(self.signed_by, Terminal):
            return self.signed_by
        assert self.signed_by.verified is not None, "read first: it verifies the terminal"
        return self.signed_by.verified

    def read(self) -> SaleFacts:
        facts = self._read_once()
        if facts.purses is None:
            purses_for(facts.elder_id)  # opens the missing purses
            facts = self._read_once()
        if facts.card_status is not None and not facts.card_has_verifier:
            card_fill_verifier(self.request.card)
        return facts

    def _read_once(self) -> SaleFacts:
        presented = self.signed_by if isinstance(self.signed_by, PresentedTerminal) else None
        if presented is not None and presented.verified is not None:
            presented = None
        facts, terminal_row = sale_facts(
            canteen_id=None if presented else self.terminal.canteen_id,
            key_id=presented.key_id if presented else None,
            session=self.request.session,
            day=self.day,
            card_hashes=self.card_hashes,
            elder_id=self.resolved.elder.pk if self.resolved else None,
            with_menu=any(line.menu_item_id is not None for line in self.request.lines),
        )
        if presented is not None:
            terminal_verify(presented, terminal_row)  # refuses before anything else is said
        if not self.late:
            refuse_unless_selling(self.terminal.canteen, self.day)
        if facts is None:
            raise card_unknown()
        if facts.card_status is not None:
            refuse_blocked_card(facts.card_status)
            refuse_unusable(facts.elder_status)
        if self.at_the_counter:  # a meal handed over at the door is charged when it arrives
            _refuse_outside_window(facts.serving, self.local)
        return facts

    def post(
        self, facts: SaleFacts, in_force: PolicyInForce, total: int, priced: list[dict[str, Any]]
    ) -> Sold | None:
        """Price the sale on `facts` and write it; None when a concurrent sale of the same
        elder got there first (read again and retry)."""
        request, canteen = self.request, self.terminal.canteen
        assert facts.purses is not None
        band = age_band(age_on(facts.birth_date, self.day)).code
        result = quote(
            in_force.spec,
            QuoteInput(
                total_fen=total,
                age_band=band,
                categories=facts.categories,
                session=request.session,
                subsidised_this_session=request.forgo_subsidy or facts.claimed_this_session,
                subsidised_this_month=facts.claims_this_month,
            ),
        )
        if result.outcome == Outcome.SESSION_CAP and not request.accept_full_price:
            raise _already_used(total)
        # Home delivery: the policy's fee, partly subsidised by the district fund.
        delivery_fee = in_force.policy.delivery_fee_fen if request.delivery else 0
        delivery_subsidy = min(in_force.policy.delivery_subsidy_fen, delivery_fee)
        lines = list(priced)
        if delivery_fee:
            lines.append({"name": "送餐费", "unit_fen": delivery_fee, "quantity": 1})
        own, subsidy_purse, charity_purse = (
            facts.purses[AccountKind.ELDER_OWN],
            facts.purses[AccountKind.ELDER_SUBSIDY],
            facts.purses[AccountKind.ELDER_CHARITY],
        )
        draw = draw_from_purses(
            result.elder_share_fen + delivery_fee - delivery_subsidy,
            subsidy_purse_fen=subsidy_purse.balance_fen,
            charity_purse_fen=charity_purse.balance_fen,
            own_fen=own.balance_fen,
        )
        if draw.shortfall_fen:
            raise InsufficientFunds(draw.shortfall_fen)
        accounts = sale_counterparties(canteen.pk, facts.district_code)
        paid_from_purses = [
            (own.account_id, draw.own_fen),
            (subsidy_purse.account_id, draw.subsidy_purse_fen),
            (charity_purse.account_id, draw.charity_purse_fen),
        ]
        entries = balanced_entries(
            [
                (accounts["receivable"], total + delivery_fee),
                (accounts["district"], -delivery_subsidy),
                *((account, -amount) for account, amount in paid_from_purses),
                *((accounts[funder], -amount) for funder, amount in result.funders.items()),
            ]
        )
        own_after = own.balance_fen - draw.own_fen
        row: dict[str, Any] = {
            "receipt_no": f"R{self.day:%y%m%d}-{canteen.pk}-{secrets.token_hex(4).upper()}",
            "canteen_id": canteen.pk,
            "terminal_id": self.terminal.pk,
            "client_receipt_no": request.client_receipt_no[:40],
            "elder_id": facts.elder_id,
            "business_date": self.day,
            "session": request.session,
            "created_at": clock.now(),
            "device_time": request.device_time,
            "lines": lines,
            "total_fen": total + delivery_fee,
            "subsidy_fen": result.subsidy_fen,
            "district_fen": result.funders["district"],
            "city_fen": result.funders["city"],
            "charity_fen": result.funders["charity"],
            "canteen_discount_fen": result.funders["canteen"],
            "delivery_fee_fen": delivery_fee,
            "delivery_subsidy_fen": delivery_subsidy,
            "subsidy_purse_fen": draw.subsidy_purse_fen,
            "charity_purse_fen": draw.charity_purse_fen,
            "own_fen": draw.own_fen,
            "policy_id": in_force.policy.pk,
            "rule_id": result.rule.rule_id if result.rule else None,
            "outcome": result.outcome,
            "age_band": band,
            "categories": sorted(facts.categories),
            "status": MealStatus.COMPLETED,
        }
        receipt = receipt_for(
            row, canteen.name, facts.elder_name, own_after, in_force.policy.name,
            result.rule.label if result.rule else "",
        )  # fmt: skip
        plan = SalePlan(
            meal=row,
            posting=SalePosting(
                business_date=self.day,
                created_at=row["created_at"],
                memo=f"{canteen.code} {request.client_receipt_no}",
                entries=entries,
                purse_moves=[(a, -amount) for a, amount in paid_from_purses],
            ),
            own_account_id=own.account_id,
            own_balance_fen=own_after,
            claim=result.outcome == Outcome.APPLIED,
            qr_step=self.resolved.qr_step if self.resolved else None,
            answer=StoredAnswer(*self.answer_to, receipt) if self.answer_to else None,
        )
        try:
            meal_id, journal_id, receipt["own_balance_fen"] = sale_write(plan)
        except SaleConflict as conflict:
            if conflict.kind in SaleConflict.RETRY:
                return None
            raise _refusal(conflict.kind) from None
        return Sold({**row, "id": meal_id, "journal_id": journal_id}, receipt)


@dataclass(frozen=True)
class Sold:
    """A posted sale: the receipt the counter shows, and the meal's row."""

    row: dict[str, Any]
    receipt: dict[str, Any]

    def meal(self) -> Meal:
        """The meal as a model instance, for callers that link to it (built only then)."""
        meal = Meal(**self.row)
        meal._state.adding, meal._state.db = False, DEFAULT_DB_ALIAS
        return meal


def _refusal(conflict: str) -> DomainError:
    if conflict == "qr":
        return qr_refusal("qr_replayed")
    if conflict == "receipt":
        return _receipt_reused()
    return Conflict(
        "idempotency_key_reused",
        "同一请求编号已有一笔交易。",
        "A request with this Idempotency-Key was already answered.",
    )


def _checkout(
    terminal: Terminal | PresentedTerminal,
    request: CheckoutRequest,
    *,
    resolved: Resolved | None = None,
    at: dt.datetime | None = None,
    answer_to: tuple[str, str] | None = None,
) -> Sold:
    """Price and post one sale. `terminal` may be a credential not yet verified (the
    API's); `resolved` is given when the elder is known without a credential (a delivered
    booking); `at` when the sale happened earlier than now (a counter that was offline): its
    business date and session window are those of `at`; `answer_to` (key, fingerprint)
    stores the receipt for retries with the sale itself."""
    if request.session not in ("breakfast", "lunch", "dinner"):
        raise ValidationFailed("session_invalid", "餐次不正确。", "Unknown meal session.")
    at_the_counter = resolved is None
    if request.delivery and at_the_counter:
        # A delivered meal is charged at the door, from its booking, by the delivery side,
        # which checks that the canteen delivers and the elder may have meals delivered.
        raise ValidationFailed(
            "delivery_not_at_counter",
            "送餐到户的餐食在送达时结算，柜台不能按送餐收费。",
            "A delivered meal is charged when it is handed over, not at the counter.",
        )
    if at is None and request.device_time is not None:
        request = replace(request, device_time=_device_time_checked(request.device_time))
    card_hashes = presented_card_hashes(request.card) if at_the_counter else None
    if card_hashes is None:
        # Only a card sale verifies its terminal in its own read.
        terminal = _verified(terminal)
    sale = _Sale(
        signed_by=terminal,
        request=request,
        local=timezone.localtime(at or clock.now()),
        at_the_counter=at_the_counter,
        card_hashes=card_hashes,
        resolved=resolved,
        answer_to=answer_to,
        late=at is not None,
    )
    if at_the_counter and card_hashes is None:
        if writes_on_recognition(request.card):
            # A confirmed face is used up by recognising it: with the sale or not at all.
            with transaction.atomic():
                sale.resolved = resolve_credential(request.card, terminal=sale.terminal, at=at)
                return _sell(sale)
        sale.resolved = resolve_credential(request.card, terminal=sale.terminal, at=at)
    return _sell(sale)


# How far a counter's clock may be from the server's for an online sale: further, and its
# time (which the anomaly checks read) is not trusted; the cashier is asked to set it.
DEVICE_CLOCK_TOLERANCE = dt.timedelta(hours=24)


def _device_time_checked(device_time: dt.datetime) -> dt.datetime:
    if timezone.is_naive(device_time):
        device_time = timezone.make_aware(device_time)
    if abs(device_time - clock.now()) > DEVICE_CLOCK_TOLERANCE:
        raise ValidationFailed(
            "device_time_implausible",
            "收银机的时间与服务器相差超过一天，请校准收银机时间后再试。",
            "The counter's clock is more than a day away from the server's; set it and retry.",
        )
    return device_time


def _sell(sale: _Sale) -> Sold:
    request = sale.request
    facts = sale.read()
    in_force = policy_in_force(district_code=facts.district_code, day=sale.day)
    limits = SaleLimits.of(in_force.policy, sale.terminal.canteen, request.session)
    total, priced = _price_lines(request.lines, facts.menu, limits)
    for attempt in range(SALE_ATTEMPTS):
        if attempt:
            facts = sale.read()
        if in_force.spec.monthly_cap_meals is None:
            done = sale.post(facts, in_force, total, priced)
        else:
            # No constraint can hold a monthly count: price it under the purses' lock,
            # on a read made once no other sale of this elder can commit.
            with transaction.atomic():
                purses_for(facts.elder_id, lock=True)
                done = sale.post(sale.read(), in_force, total, priced)
        if done is not None:
            return done
    raise Conflict(
        "sale_contended",
        "该老人同时有多笔交易，请稍后重试。",
        "Several sales for this elder are under way at once; please retry.",
    )


def _already_used(total: int) -> DomainError:
    return Conflict(
        "subsidy_already_used",
        f"该老人本餐次今天已享受过补贴，可按原价 {yuan(total)} 元结算。",
        f"This elder's subsidy for this meal today is used; full price is {yuan(total)} yuan.",
        full_price_fen=total,
    )


def receipt_for(
    meal: dict[str, Any],
    canteen_name: str,
    elder_name: str,
    own_balance_fen: int,
    policy_name: str,
    rule_label: str,
) -> dict[str, Any]:
    """The receipt of a sale, from the meal's row."""
    return {
        "receipt_no": meal["receipt_no"],
        "client_receipt_no": meal["client_receipt_no"],
        "canteen": canteen_name,
        "business_date": meal["business_date"].isoformat(),
        "session": meal["session"],
        "elder": {
            "name": mask_name(elder_name),
            "age_band": meal["age_band"],
            "categories": category_names(meal["categories"]),
        },
        "lines": meal["lines"],
        "total_fen": meal["total_fen"],
        "subsidy": {
            "total_fen": meal["subsidy_fen"],
            "district_fen": meal["district_fen"],
            "city_fen": meal["city_fen"],
            "charity_fen": meal["charity_fen"],
            "canteen_fen": meal["canteen_discount_fen"],
            "delivery_fee_fen": meal["delivery_fee_fen"],
            "delivery_subsidy_fen": meal["delivery_subsidy_fen"],
            "outcome": meal["outcome"],
            "rule": rule_label,
            "policy": policy_name,
            "policy_version": meal["policy_id"],
        },
        "paid": {
            "subsidy_purse_fen": meal["subsidy_purse_fen"],
            "charity_purse_fen": meal["charity_purse_fen"],
            "own_fen": meal["own_fen"],
        },
        "own_balance_fen": own_balance_fen,
        "status": meal["status"],
    }


def _meal_locked(receipt_no: str, extra: Q) -> Meal:
    meal = (
        Meal.objects.select_for_update()
        .select_related("canteen__village", "elder")
        .filter(extra, receipt_no=receipt_no)
        .first()
    )
    if meal is None:
        raise NotFound("消费记录", "sale")
    return meal


def _reverse_meal(meal: Meal, *, kind: str, status: str) -> Meal:
    if meal.status != MealStatus.COMPLETED:
        raise Conflict(
            "meal_already_reversed", "这笔消费已撤销或已退款。", "This sale was already reversed."
        )
    today = clock.today()
    meal.reversal = reverse(meal.journal, kind=kind, business_date=today, memo=meal.receipt_no)
    meal.status = status
    meal.save(update_fields=["reversal", "status"])
    SubsidyClaim.objects.filter(meal=meal, released=False).update(released=True)
    return meal


@transaction.atomic
def meal_void(
    *, receipt_no: str, reason: str, actor: Any = None, terminal: Terminal | None = None
) -> Meal:
    """Same-day void by the canteen that sold it (its terminal or its staff)."""
    if terminal is not None:
        scope_q = Q(canteen_id=terminal.canteen_id)
        label = f"terminal:{terminal.key_id}"
    else:
        require_cap(actor, Cap.MEAL_VOID, "撤销消费", "void sales")
        scope_q = scope_for(actor).canteen_q("canteen__")
        label = None
    meal = _meal_locked(receipt_no, scope_q)
    if meal.business_date != clock.today():
        raise Conflict(
            "void_only_same_day",
            "只能撤销当天的消费；以前的消费请由民政部门办理退款。",
            "Only today's sales can be voided; earlier ones are refunded by the bureau.",
        )
    meal = _reverse_meal(meal, kind=JournalKind.VOID, status=MealStatus.VOIDED)
    audit_record(
        actor=actor,
        actor_label=label,
        action="meal.void",
        target=meal,
        after={"reason": reason[:200], "total_fen": meal.total_fen},
        scope_path=meal.canteen.village.path,
        canteen_id=meal.canteen_id,
    )
    return meal


@transaction.atomic
def meal_refund(*, actor: Any, receipt_no: str, reason: str) -> Meal:
    """A later refund by the bureau: the same compensating posting, and the cap released."""
    require_cap(actor, Cap.MEAL_REFUND, "办理退款", "refund sales")
    if not reason.strip():
        raise ValidationFailed(
            "reason_required", "请填写退款原因。", "Give a reason for the refund."
        )
    meal = _meal_locked(receipt_no, scope_for(actor).canteen_q("canteen__"))
    meal = _reverse_meal(meal, kind=JournalKind.REFUND, status=MealStatus.REFUNDED)
    audit_record(
        actor=actor,
        action="meal.refund",
        target=meal,
        after={"reason": reason.strip()[:200], "total_fen": meal.total_fen},
        scope_path=meal.canteen.village.path,
        canteen_id=meal.canteen_id,
    )
    return meal


def sell_to_known_elder(
    *,
    terminal: Terminal,
    request: CheckoutRequest,
    resolved: Resolved,
    at: dt.datetime | None = None,
) -> Sold:
    """A sale for an elder known without a credential at a counter (a booked meal handed
    over at the door, a meal of the demo's history): priced and posted as at the counter,
    outside the serving window; on `at`'s business date when given."""
    return _checkout(terminal, request, resolved=resolved, at=at)


def backoffice_checkout(
    *, actor: Any, canteen: Canteen, request: CheckoutRequest, nonce: str
) -> CheckoutResult:
    """A sale by a cashier or manager in the back office (when the counter device is down)."""
    require_cap(actor, Cap.MEAL_VOID, "在后台收银", "sell in the back office")
    if not Canteen.objects.filter(scope_for(actor).canteen_q(), pk=canteen.pk).exists():
        raise NotFound("食堂", "canteen")
    terminal = service_terminal(canteen, BACK_OFFICE_TERMINAL)
    body = {"card": request.card, "session": request.session, "receipt": request.client_receipt_no,
            "lines": [line.__dict__ for line in request.lines],
            "full": request.accept_full_price}  # fmt: skip

    def work() -> dict[str, Any]:
        receipt = _checkout(terminal, request).receipt
        audit_record(
            actor=actor,
            action="meal.sell_back_office",
            target=canteen,
            after={"receipt_no": receipt["receipt_no"], "total_fen": receipt["total_fen"]},
            scope_path=canteen.village.path,
            canteen_id=canteen.pk,
        )
        return receipt

    return idempotent(
        terminal=terminal, key=nonce, fingerprint=request_fingerprint(body), work=work
    )
