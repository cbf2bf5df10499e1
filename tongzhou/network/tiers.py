"""Which kind of service an island's elders are owed, from the island data (pure).

The bureau's plan: on the main island and the central islands a 15-minute circle; on outer
islands with a town a 幸福驿家; on small inhabited islands without a town a compact 驿家; on
the rest that have elders, the mobile station's visits. "Central" is the main island, the
islands bridged to it, and the county seats' islands (岱山岛, 泗礁山). How many elders make a
compact 驿家 worth building is a number in the tier rule (data)."""

from __future__ import annotations

from dataclasses import dataclass


class Tier:
    CIRCLE = "circle"
    YIJIA = "yijia"
    COMPACT = "compact"
    MOBILE = "mobile"
    NONE = "none"


TIER_NAMES = {
    Tier.CIRCLE: "15分钟养老服务圈",
    Tier.YIJIA: "幸福驿家",
    Tier.COMPACT: "浓缩版幸福驿家",
    Tier.MOBILE: "流动服务站上岛服务",
    Tier.NONE: "无在册老人",
}
# The facility kinds that meet each tier's need on the island itself.
TIER_FACILITIES = {
    Tier.YIJIA: ("yijia",),
    Tier.COMPACT: ("yijia_compact", "yijia"),
}


@dataclass(frozen=True)
class IslandFacts:
    name: str
    is_main: bool
    fixed_link: bool | None  # None: the sources disagree or are unsure
    has_town: bool
    county_seat: bool
    elders: int


def tier_of(island: IslandFacts, *, compact_min_elders: int) -> tuple[str, str]:
    """The island's tier and why, in words for the page."""
    if island.is_main:
        return Tier.CIRCLE, "舟山本岛"
    if island.fixed_link:
        return Tier.CIRCLE, "与本岛有桥相连"
    if island.county_seat:
        return Tier.CIRCLE, "县城所在的中心岛"
    unsure = "（是否通桥待核实）" if island.fixed_link is None else ""
    if island.has_town:
        return Tier.YIJIA, f"有镇（街道）建制的离岛{unsure}"
    if island.elders <= 0:
        return Tier.NONE, f"无镇建制，暂无在册老人{unsure}"
    if island.elders >= compact_min_elders:
        return Tier.COMPACT, (
            f"无镇建制的小岛，在册老人{island.elders}人（不少于{compact_min_elders}人）{unsure}"
        )
    return Tier.MOBILE, (
        f"无镇建制的小岛，在册老人{island.elders}人（少于{compact_min_elders}人）{unsure}"
    )
