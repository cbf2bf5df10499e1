"""Names kept in both languages (a list's groups and items, tiers, rules), shown in the
language of the page being drawn."""

from __future__ import annotations

from django.utils import translation


def shown_name(name_zh: str, name_en: str) -> str:
    """The English name on an English page where one is given; the Chinese one otherwise."""
    english = (translation.get_language() or "").startswith("en")
    return name_en if english and name_en else name_zh
