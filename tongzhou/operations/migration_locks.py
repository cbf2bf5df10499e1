"""The tables that grow with the city: a migration that locks one of them for a scan or a
rewrite stops sales while it runs (`tests/test_migration_locks.py` keeps such migrations
noted in `docs/operations.md`)."""

LARGE_TABLES = frozenset(
    {
        "audit_auditevent",
        "bookings_booking",
        "care_entitlement",
        "care_entitlementpurse",
        "care_serviceorder",
        "elders_categorymembership",
        "elders_elder",
        "identity_card",
        "identity_faceenrolment",
        "identity_qridentity",
        "identity_qruse",
        "ledger_account",
        "ledger_entry",
        "ledger_journal",
        "meals_idempotencyrecord",
        "meals_meal",
        "meals_offlinesale",
        "meals_subsidyclaim",
        "settlement_statemententry",
        "visits_scheduledvisit",
        "visits_visitrecord",
    }
)
