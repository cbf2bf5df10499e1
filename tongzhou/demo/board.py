"""The demo's board: the catalogue, this year's targets for the city and its districts (the
report's own where it gives them, plausible ones elsewhere, all synthetic for the demo), the
values recomputed, a town's reported value waiting for the district, and a supervision item
raised from a red indicator."""

from __future__ import annotations

import datetime as dt

from tongzhou.accounts.models import User
from tongzhou.board.models import Indicator, Target
from tongzhou.board.services import board_recompute, catalogue_load, value_report
from tongzhou.board.supervision import item_raise
from tongzhou.core import clock
from tongzhou.geo.models import Region, RegionLevel

# This year's city targets for the demo (canteens, complexes, living rooms, the workforce
# ratios are the report's; the rest are plausible figures, not the bureau's).
CITY_TARGETS = {
    "LY01": 25,
    "LY02": 90,
    "LY03": 100,
    "LY04": 100,
    "LY05": 170,
    "LY06": 137,
    "LY08": 10,
    "LY09": 9,
    "LY10": 6,
    "LY15": 100,
    "LY16": 80,
    "LY20": 6,
    "RY06": 18,
    "RY07": 47,
    "RY10": 100,
    "RY19": 100,
    "SW01": 100,
}
DISTRICT_TARGETS = {"LY02": 90, "LY15": 100, "LY16": 80, "RY06": 18, "RY07": 47}


def build_board() -> int:
    """Returns the values written."""
    catalogue_load()
    year = str(clock.today().year)
    city = Region.objects.get(level=RegionLevel.CITY)
    indicators = {i.code: i for i in Indicator.objects.all()}
    source = "演示数据：目标为示意"
    for code, value in CITY_TARGETS.items():
        Target.objects.get_or_create(
            indicator=indicators[code],
            region=city,
            period_id=year,
            defaults={"value": value, "source": source},
        )
    for district in Region.objects.filter(level=RegionLevel.DISTRICT):
        for code, value in DISTRICT_TARGETS.items():
            Target.objects.get_or_create(
                indicator=indicators[code],
                region=district,
                period_id=year,
                defaults={"value": value, "source": source},
            )
    written = board_recompute()
    town = User.objects.get(username="changguo")
    value_report(
        actor=town,
        indicator_code="SW01",
        region=Region.objects.get(code="330902002"),
        period_id=year,
        numerator=12,
        denominator=15,
        note="私墓整治台账见附件",
    )
    city_user = User.objects.get(username="city")
    item_raise(
        actor=city_user,
        title="定海区助餐配送餐服务村（社区）覆盖率落后，限期整改",
        source="indicator",
        basis="覆盖率明显低于目标90%，亮红灯",
        unit=Region.objects.get(code="330902"),
        person="定海区民政局 李主任",
        deadline=clock.today() + dt.timedelta(days=20),
        indicator=indicators["LY02"],
        period_id=f"{clock.today():%Y%m}",
    )
    return written
