"""Rules the code keeps everywhere, read off the source: the city's code comes from the
settings, the time from the clock module, a conflict from `core.errors.Conflict`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.writers import sources
from tongzhou.core.errors import Conflict, DomainError
from tongzhou.geo.selectors import city_code, city_path

PACKAGE = Path(__file__).resolve().parents[1] / "tongzhou"


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(PACKAGE.parent)): path.read_text(encoding="utf-8")
        for path in sources()
    }


def _spelling(pattern: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    found = re.compile(pattern)
    return [
        f"{path}:{number}: {line.strip()}"
        for path, text in _sources().items()
        if path not in allowed
        for number, line in enumerate(text.splitlines(), 1)
        if found.search(line)
    ]


def test_the_city_s_code_is_spelt_only_in_the_settings() -> None:
    assert _spelling(r"""["']330900["'/]""") == []
    assert city_code() == settings.TONGZHOU["CITY_CODE"] and city_path() == f"{city_code()}/"


def test_the_time_is_read_only_by_the_clock_module() -> None:
    """Dates and times come from `core.clock` (which tests freeze), in Asia/Shanghai as the
    settings say: nobody reads the system clock or adds eight hours by hand."""
    assert (
        _spelling(
            r"timezone\.now\(\)|datetime\.now\(|date\.today\(|hours=8\b",
            allowed=("tongzhou/core/clock.py",),
        )
        == []
    )


def test_a_conflict_is_built_by_core_s_class() -> None:
    assert _spelling(r"status=409", allowed=("tongzhou/core/errors.py",)) == []


def test_a_conflict_is_a_409_domain_error_with_its_details() -> None:
    error = Conflict("meal_already_reversed", "已撤销。", "Already reversed.", receipt_no="R1")
    assert isinstance(error, DomainError)
    assert (error.status, error.code, error.details) == (409, "meal_already_reversed",
                                                         {"receipt_no": "R1"})  # fmt: skip
    assert error.as_dict()["message_zh"] == "已撤销。"
    with pytest.raises(Conflict):
        raise error
