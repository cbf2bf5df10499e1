"""An elder's facts as the service list reads them, loaded in bulk: birth date, dated
category memberships, living arrangement, the island tier of their home and the last day
they are served."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tongzhou.care.rules import ElderFacts, Membership
from tongzhou.elders.models import CategoryMembership, Elder
from tongzhou.geo.models import Island


def island_tier(island: Island | None) -> str:
    """舟山本岛 and bridge-linked islands share the main island's services; an island with a
    town seated on it is an outer island; any other is a small island."""
    if island is None or island.is_main_island or island.fixed_link:
        return "main"
    return "outer_town" if island.has_town else "small"


def facts_for(elder_ids: Iterable[int]) -> dict[int, ElderFacts]:
    ids = list(elder_ids)
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for row in (
        CategoryMembership.objects.filter(elder_id__in=ids)
        .values_list(
            "elder_id",
            "category__code",
            "category__name_zh",
            "valid_from",
            "valid_to",
            "assessment_level",
        )
        .iterator(chunk_size=5000)
    ):
        memberships[row[0]].append(Membership(*row[1:]))
    tiers: dict[int | None, str] = {None: "main"}
    tiers.update((island.pk, island_tier(island)) for island in Island.objects.all())
    answer = {}
    for elder_id, birth, living, island_id, died, moved in (
        Elder.objects.filter(pk__in=ids)
        .values_list(
            "pk", "birth_date", "living_arrangement", "residence__island_id", "died_on", "moved_on"
        )
        .iterator(chunk_size=5000)
    ):
        last_day = min((d for d in (died, moved) if d is not None), default=None)
        answer[elder_id] = ElderFacts(
            birth_date=birth,
            memberships=tuple(memberships.get(elder_id, ())),
            living=living,
            island_tier=tiers.get(island_id, "main"),
            alive_on=last_day,
        )
    return answer
