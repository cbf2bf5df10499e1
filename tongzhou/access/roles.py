"""Roles and what each may do. A role is bound to a place: a region or a canteen."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NONE = "", _("no role")
    CITY_BUREAU = "city_bureau", _("city civil-affairs bureau")
    DISTRICT_OFFICER = "district_officer", _("district / county officer")
    TOWN_OFFICER = "town_officer", _("town / subdistrict officer")
    VILLAGE_WORKER = "village_worker", _("village / community worker")
    CANTEEN_MANAGER = "canteen_manager", _("canteen manager")
    CASHIER = "cashier", _("cashier")
    DELIVERY_VOLUNTEER = "delivery_volunteer", _("delivery volunteer")
    AUDITOR = "auditor", _("auditor (read only)")
    CARER = "carer", _("carer of a service provider")


class Cap(StrEnum):
    ELDER_VIEW = "elder.view"
    ELDER_EDIT = "elder.edit"
    ELDER_REVEAL = "elder.reveal"  # see the full ID number / phone (audited)
    CANTEEN_VIEW = "canteen.view"
    CANTEEN_EDIT = "canteen.edit"
    TERMINAL_MANAGE = "terminal.manage"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"
    REFERENCE_EDIT = "reference.edit"  # categories, tags, operators
    POLICY_EDIT = "policy.edit"  # subsidy policies (new versions from a future date)
    MEAL_VIEW = "meal.view"
    MEAL_VOID = "meal.void"  # same-day void at the canteen
    MEAL_REFUND = "meal.refund"  # later refund by the bureau
    PURSE_CREDIT = "purse.credit"  # top-ups and allowances credited by staff
    MENU_EDIT = "menu.edit"
    LEDGER_CORRECT = "ledger.correct"  # corrections to purses, by the city bureau only
    BOOKING_EDIT = "booking.edit"  # book, cancel and pause meals for elders
    KITCHEN_VIEW = "kitchen.view"  # counts, lists and labels for the kitchen
    DELIVERY_PLAN = "delivery.plan"  # assign delivery orders and compute routes
    DELIVERY_RECORD = "delivery.record"  # proof of delivery, "nobody answered"
    ALERT_CLOSE = "alert.close"  # close wellness alerts with an outcome
    SETTLEMENT_SUBMIT = "settlement.submit"  # a canteen submits its statement
    SETTLEMENT_REVIEW = "settlement.review"  # town / district review
    SETTLEMENT_APPROVE = "settlement.approve"  # city approval and payment
    ANOMALY_REVIEW = "anomaly.review"  # resolve anomaly cases
    FUND_VIEW = "fund.view"  # charity funds serving the area, with their balances
    CARE_VIEW = "care.view"  # the service list, entitlements, orders and visits of the area
    CARE_LIST_EDIT = "care.list_edit"  # load a new version of the basic service list
    CARE_ORDER = "care.order"  # order services for elders and dispatch them to providers
    CARE_REVIEW = "care.review"  # approve or reject service records sent to review
    CARE_SERVE = "care.serve"  # a carer: accept orders and record them at the door
    VISIT_RECORD = "visit.record"  # caring visits and their follow-ups
    DISCOVERY_REVIEW = "discovery.review"  # the proactive-discovery queue
    BOARD_VIEW = "board.view"  # the indicator board of the area
    BOARD_REPORT = "board.report"  # enter a reported indicator's value with its evidence
    BOARD_APPROVE = "board.approve"  # approve reported values (district, then city)
    CANTEEN_APPLY = "canteen.apply"  # enter an operator's application to run a canteen
    CANTEEN_GOVERN = "canteen.govern"  # review, inspect, accept, record; trace; suspend
    KITCHEN_RECORD = "kitchen.record"  # the kitchen's daily records (晨检, 留样, 进货, 消毒)
    MEAL_RATE = "meal.rate"  # take an elder's rating or complaint by phone
    COMPLAINT_ANSWER = "complaint.answer"  # the canteen answers its complaints


REGION_ROLES = {
    Role.CITY_BUREAU,
    Role.DISTRICT_OFFICER,
    Role.TOWN_OFFICER,
    Role.VILLAGE_WORKER,
    Role.AUDITOR,
    Role.CARER,  # bound to the area the provider serves; sees only their own orders
}
CANTEEN_ROLES = {Role.CANTEEN_MANAGER, Role.CASHIER, Role.DELIVERY_VOLUNTEER}

# The region level each region-bound role sits at (auditors may sit at any level).
ROLE_LEVEL = {
    Role.CITY_BUREAU: "city",
    Role.DISTRICT_OFFICER: "district",
    Role.TOWN_OFFICER: "town",
    Role.VILLAGE_WORKER: "village",
}

_STAFF = {
    Cap.ELDER_VIEW,
    Cap.ELDER_EDIT,
    Cap.ELDER_REVEAL,
    Cap.CANTEEN_VIEW,
    Cap.USER_VIEW,
    Cap.BOOKING_EDIT,
    Cap.KITCHEN_VIEW,
    Cap.ALERT_CLOSE,
    Cap.CARE_VIEW,
    Cap.CARE_ORDER,
    Cap.VISIT_RECORD,
    Cap.DISCOVERY_REVIEW,
}
CAPABILITIES: dict[Role, frozenset[Cap]] = {
    Role.NONE: frozenset(),
    Role.CITY_BUREAU: frozenset(
        _STAFF
        | {
            Cap.CANTEEN_EDIT,
            Cap.TERMINAL_MANAGE,
            Cap.USER_MANAGE,
            Cap.AUDIT_VIEW,
            Cap.REFERENCE_EDIT,
            Cap.POLICY_EDIT,
            Cap.MEAL_VIEW,
            Cap.MEAL_REFUND,
            Cap.PURSE_CREDIT,
            Cap.LEDGER_CORRECT,
            Cap.SETTLEMENT_APPROVE,
            Cap.ANOMALY_REVIEW,
            Cap.FUND_VIEW,
            Cap.CARE_LIST_EDIT,
            Cap.CARE_REVIEW,
            Cap.BOARD_VIEW,
            Cap.BOARD_REPORT,
            Cap.BOARD_APPROVE,
            Cap.CANTEEN_GOVERN,
        }
    ),
    Role.DISTRICT_OFFICER: frozenset(
        _STAFF
        | {
            Cap.CANTEEN_EDIT,
            Cap.TERMINAL_MANAGE,
            Cap.USER_MANAGE,
            Cap.AUDIT_VIEW,
            Cap.POLICY_EDIT,
            Cap.MEAL_VIEW,
            Cap.MEAL_REFUND,
            Cap.PURSE_CREDIT,
            Cap.SETTLEMENT_REVIEW,
            Cap.ANOMALY_REVIEW,
            Cap.FUND_VIEW,
            Cap.CARE_REVIEW,
            Cap.BOARD_VIEW,
            Cap.BOARD_REPORT,
            Cap.BOARD_APPROVE,
            Cap.CANTEEN_GOVERN,
        }
    ),
    Role.TOWN_OFFICER: frozenset(
        _STAFF
        | {
            Cap.CANTEEN_EDIT,
            Cap.TERMINAL_MANAGE,
            Cap.USER_MANAGE,
            Cap.AUDIT_VIEW,
            Cap.MEAL_VIEW,
            Cap.PURSE_CREDIT,
            Cap.SETTLEMENT_REVIEW,
            Cap.FUND_VIEW,
            Cap.CARE_REVIEW,
            Cap.BOARD_VIEW,
            Cap.BOARD_REPORT,
            Cap.CANTEEN_GOVERN,
            Cap.CANTEEN_APPLY,
            Cap.MEAL_RATE,
        }
    ),
    Role.VILLAGE_WORKER: frozenset(
        {
            Cap.ELDER_VIEW,
            Cap.ELDER_EDIT,
            Cap.ELDER_REVEAL,
            Cap.CANTEEN_VIEW,
            Cap.BOOKING_EDIT,
            Cap.ALERT_CLOSE,
            Cap.CARE_VIEW,
            Cap.CARE_ORDER,
            Cap.VISIT_RECORD,
            Cap.DISCOVERY_REVIEW,
            Cap.CANTEEN_APPLY,
            Cap.MEAL_RATE,
        }
    ),
    Role.CANTEEN_MANAGER: frozenset(
        {
            Cap.CANTEEN_VIEW,
            Cap.TERMINAL_MANAGE,
            Cap.USER_VIEW,
            Cap.USER_MANAGE,
            Cap.MEAL_VIEW,
            Cap.MEAL_VOID,
            Cap.MENU_EDIT,
            Cap.SETTLEMENT_SUBMIT,
            Cap.KITCHEN_VIEW,
            Cap.DELIVERY_PLAN,
            Cap.DELIVERY_RECORD,
            Cap.KITCHEN_RECORD,
            Cap.COMPLAINT_ANSWER,
        }
    ),
    Role.CASHIER: frozenset(
        {Cap.CANTEEN_VIEW, Cap.MEAL_VIEW, Cap.MEAL_VOID, Cap.KITCHEN_VIEW, Cap.KITCHEN_RECORD}
    ),
    Role.DELIVERY_VOLUNTEER: frozenset({Cap.CANTEEN_VIEW, Cap.DELIVERY_RECORD}),
    Role.AUDITOR: frozenset(
        {
            Cap.ELDER_VIEW,
            Cap.CANTEEN_VIEW,
            Cap.USER_VIEW,
            Cap.AUDIT_VIEW,
            Cap.MEAL_VIEW,
            Cap.FUND_VIEW,
            Cap.CARE_VIEW,
            Cap.BOARD_VIEW,
        }
    ),
    Role.CARER: frozenset({Cap.CARE_SERVE}),
}

# Who may create accounts of which role (always inside the creator's own scope).
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.CITY_BUREAU: frozenset(set(Role) - {Role.NONE}),
    Role.DISTRICT_OFFICER: frozenset(
        {
            Role.DISTRICT_OFFICER,
            Role.TOWN_OFFICER,
            Role.VILLAGE_WORKER,
            Role.CANTEEN_MANAGER,
            Role.CASHIER,
            Role.DELIVERY_VOLUNTEER,
            Role.AUDITOR,
            Role.CARER,
        }
    ),
    Role.TOWN_OFFICER: frozenset(
        {
            Role.TOWN_OFFICER,
            Role.VILLAGE_WORKER,
            Role.CANTEEN_MANAGER,
            Role.CASHIER,
            Role.DELIVERY_VOLUNTEER,
            Role.CARER,
        }
    ),
    Role.CANTEEN_MANAGER: frozenset({Role.CASHIER, Role.DELIVERY_VOLUNTEER}),
}
