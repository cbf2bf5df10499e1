"""One module writes each family of tables: the ledger its journals, entries and balances,
identity a QR code's use, every app its own tables (the demo's synthetic data set aside)."""

from __future__ import annotations

from tests.writers import owner, writers


def _writers_of(*tables: str) -> set[str]:
    return {module for module, written in writers().items() if written & set(tables)}


def test_only_the_ledger_writes_ledger_rows() -> None:
    ledger = ("ledger_account", "ledger_journal", "ledger_entry",
              "ledger.Account", "ledger.Journal", "ledger.Entry")  # fmt: skip
    assert _writers_of(*ledger) == {"tongzhou.ledger.services"}


def test_only_identity_writes_a_qr_code_s_use() -> None:
    assert _writers_of("identity_qruse", "identity.QrUse") == {"tongzhou.identity.services"}


def test_every_app_writes_only_its_own_tables() -> None:
    foreign = {
        module: sorted(table for table in written if owner(table) != module.split(".")[1])
        for module, written in writers().items()
        if not module.startswith("tongzhou.demo.")
    }
    assert {module: tables for module, tables in foreign.items() if tables} == {}


def test_the_demo_writes_no_money_and_no_identity_use() -> None:
    demo = {t for module, written in writers().items() if module.startswith("tongzhou.demo.")
            for t in written}  # fmt: skip
    assert not {table for table in demo if owner(table) == "ledger"}
    assert not demo & {"identity_qruse", "identity.QrUse"}


def test_the_writers_read_off_the_source_are_these() -> None:
    """The list itself, so that a new writer shows up in review."""
    assert {module: sorted(tables) for module, tables in writers().items()} == {
        "tongzhou.audit.services": ["audit.AuditEvent"],
        "tongzhou.bookings.services": [
            "bookings.Booking", "bookings.BookingPause", "bookings.BookingPlan",
            "bookings.DeliveryRun", "bookings.MealProfile", "bookings.WellnessAlert",
        ],
        "tongzhou.board.services": [
            "board.DataValue", "board.Evidence", "board.Indicator", "board.Target",
        ],
        "tongzhou.board.supervision": [
            "board.Extension", "board.ItemStep", "board.SupervisionItem",
        ],
        "tongzhou.canteens.services": [
            "canteens.MealSession", "canteens.MenuItem", "canteens.Operator", "canteens.Terminal",
        ],
        "tongzhou.oversight.services": [
            "oversight.ApplicationFile", "oversight.ApplicationStaff", "oversight.ApplicationStep",
            "oversight.Complaint", "oversight.Evaluation", "oversight.Finding",
            "oversight.FoodSample",
            "oversight.HygieneRecord", "oversight.Inspection", "oversight.KitchenStaff",
            "oversight.MealRating", "oversight.MorningCheck", "oversight.PurchaseCheck",
            "oversight.StagePayment", "oversight.TraceCall", "oversight.TraceCase",
        ],
        "tongzhou.care.services": [
            "care.Entitlement", "care.EntitlementPurse", "care.ProviderStatement",
            "care.ServiceGroup", "care.ServiceItem", "care.ServiceListVersion", "care.ServiceOrder",
        ],
        "tongzhou.charity.services": ["charity.CharityFund"],
        "tongzhou.demo.generator": [
            "canteens.Dish", "canteens.Menu", "canteens.MenuItem", "canteens.Operator",
            "identity.Card",
        ],
        "tongzhou.demo.care": [
            "care.Provider", "care.ServiceOrder", "visits.ScheduledVisit", "visits.VisitRecord",
        ],
        "tongzhou.discovery.services": ["discovery.DiscoveryCase"],
        "tongzhou.demo.history": ["meals.Meal"],
        "tongzhou.demo.board": ["board.Target"],
        "tongzhou.demo.oversight": [
            "canteens.Canteen", "oversight.ConstructionSubsidy", "oversight.KitchenStaff",
            "oversight.MealRating", "oversight.StarPolicy",
        ],
        "tongzhou.demo.network": [
            "care.Carer", "network.BuildPlan", "network.CommunityWorker", "network.Facility",
            "network.TrainingAttendance", "network.TrainingSession",
        ],
        "tongzhou.network.services": ["network.RotaVisit"],
        "tongzhou.demo.meal_service": [
            "bookings.BookingPlan", "bookings.MealProfile", "canteens.Canteen",
        ],
        "tongzhou.elders.services": ["elders.CategoryMembership", "elders.Elder"],
        "tongzhou.geo.services": ["geo.Island", "geo.Region"],
        "tongzhou.visits.services": [
            "visits.FollowUp", "visits.ScheduledVisit", "visits.VisitRecord",
        ],
        "tongzhou.identity.face_services": ["identity.FaceConfirmation", "identity.FaceEnrolment"],
        "tongzhou.identity.services": [
            "identity.Card", "identity.QrIdentity", "identity.QrUse", "identity_card",
            "identity_qruse",
        ],
        "tongzhou.ledger.services": [
            "ledger.Account", "ledger.Entry", "ledger.Journal", "ledger_account", "ledger_entry",
            "ledger_journal",
        ],
        "tongzhou.meals.offline": ["meals.OfflineSale"],
        "tongzhou.meals.sale_store": [
            "meals.IdempotencyRecord", "meals.Meal", "meals.SubsidyClaim",
            "meals_idempotencyrecord", "meals_meal", "meals_subsidyclaim",
        ],
        "tongzhou.meals.services": ["meals.IdempotencyRecord", "meals.SubsidyClaim"],
        "tongzhou.portal.services": ["portal.AccessGrant", "portal.SignInCode"],
        "tongzhou.settlement.anomalies": ["settlement.AnomalyCase"],
        "tongzhou.settlement.services": [
            "settlement.SettlementPeriod", "settlement.Statement", "settlement.StatementComment",
            "settlement.StatementEntry",
        ],
        "tongzhou.subsidies.management.commands.load_default_policy": [
            "subsidies.SubsidyPolicy", "subsidies.SubsidyRule",
        ],
        "tongzhou.subsidies.services": ["subsidies.SubsidyRule"],
        "tongzhou.throttle.services": ["throttle.Throttle"],
    }  # fmt: skip
