"""The evaluation's arithmetic (pure): each part scored 0-100 from the canteen's own figures,
the parts weighed by the policy (a part with nothing to judge left out, the rest weighed up),
and the stars the score earns by the policy's bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

PARTS = ("ratings", "complaints", "inspections", "records", "settlement")


def rating_part(average: float | None) -> float | None:
    """1 star → 0, 5 stars → 100."""
    return None if average is None else (average - 1) / 4 * 100


def share_part(done: int, of: int) -> float | None:
    return None if of == 0 else 100 * done / of


def score(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of the parts that could be judged; None when none could."""
    judged = [
        (value, float(weights.get(name, 0)))
        for name, value in parts.items()
        if value is not None and float(weights.get(name, 0)) > 0
    ]
    total = sum(weight for _value, weight in judged)
    if not total:
        return None
    return round(sum(value * weight for value, weight in judged) / total, 2)


def stars_for(value: float | None, bands: Sequence[Sequence[float]]) -> int:
    """The stars of the highest band whose floor the score reaches ([[90, 5], [80, 4] …]);
    0 when there is no score or it is below every band."""
    if value is None:
        return 0
    for floor, stars in sorted(bands, key=lambda band: band[0], reverse=True):
        if value >= floor:
            return int(stars)
    return 0
