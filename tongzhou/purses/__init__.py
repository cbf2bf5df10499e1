"""Money into an elder's purses: top-ups of their own money (at a counter or by the bureau),
allowances credited by the bureau, and the city bureau's corrections, each a posting through
the ledger."""
