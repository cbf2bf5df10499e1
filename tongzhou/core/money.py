"""Money is integer fen. Rates are integer basis points. Rounding happens here only."""

from __future__ import annotations

from collections.abc import Mapping

BP_WHOLE = 10_000


def split_by_basis_points(amount_fen: int, shares_bp: Mapping[str, int]) -> dict[str, int]:
    """Split `amount_fen` by basis points (summing to 10,000) so the parts add up exactly.

    Largest-remainder rounding: each part gets its floor, the leftover fen go to the parts
    with the largest remainders (ties by key order), so no fen is created or lost.
    """
    if amount_fen < 0:
        raise ValueError("amount must not be negative")
    if sum(shares_bp.values()) != BP_WHOLE or any(v < 0 for v in shares_bp.values()):
        raise ValueError("shares must be non-negative and sum to 10,000 basis points")
    floors = {key: amount_fen * bp // BP_WHOLE for key, bp in shares_bp.items()}
    leftover = amount_fen - sum(floors.values())
    by_remainder = sorted(
        shares_bp, key=lambda key: (-(amount_fen * shares_bp[key] % BP_WHOLE), key)
    )
    for key in by_remainder[:leftover]:
        floors[key] += 1
    return floors


def yuan(fen: int) -> str:
    """12.50 for 1250 fen: for display only."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
