"""Attempts counted in the database every process shares, so that a limit holds across the
server's workers and machines (the embedded default needs no other service)."""
