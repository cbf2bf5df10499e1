"""Completion against a target and the light it shows (pure).

Completion is direction-aware: higher is better → actual ÷ target; lower is better →
(baseline − actual) ÷ (baseline − target); a milestone is done or not. No target, a target
that cannot divide, or no value gives no completion, shown grey: never 0 %. The light compares
completion with what is due by now: for a count that builds up through its period, the elapsed
share of the target's period (序时进度); for a rate, the whole target. Green at or ahead, yellow
within the indicator's band behind, red further behind; red too when a value was due and never
came."""

from __future__ import annotations

from dataclasses import dataclass


def completion(
    *, actual: float | None, target: float | None, direction: str, measure: str,
    baseline: float | None = None,
) -> float | None:  # fmt: skip
    if actual is None or target is None:
        return None
    if measure == "milestone":
        return 1.0 if actual >= 1 else 0.0
    if direction == "lower":
        if baseline is not None and baseline != target:
            return (baseline - actual) / (baseline - target)
        # No baseline to measure the way down from: at or under the target is met; above it,
        # the target's share of the actual (a target of 0 is met only at 0).
        if actual <= target:
            return 1.0
        return 0.0 if target <= 0 else target / actual
    if target == 0:
        return None
    return actual / target


@dataclass(frozen=True)
class Light:
    colour: str  # green, yellow, red, grey
    why: str


def light(
    done: float | None, elapsed: float, *, band_points: float, overdue: bool = False
) -> Light:
    if done is None:
        if overdue:
            return Light("red", "逾期未报送")
        return Light("grey", "无目标或无数据")
    if done >= elapsed:
        return Light("green", "达到序时进度")
    if (elapsed - done) * 100 <= band_points:
        return Light("yellow", "略慢于序时进度")
    return Light("red", "明显落后于序时进度")


def value_of(numerator: float | None, denominator: float | None, measure: str) -> float | None:
    """The shown value from its parts: a share in percent, a rate per 10,000, else the count."""
    if numerator is None:
        return None
    if measure == "percent":
        return None if not denominator else numerator * 100 / denominator
    if measure == "per_10k":
        return None if not denominator else numerator * 10_000 / denominator
    return numerator
