"""The workforce per unit: certified carers per 10,000 elders (an expired certificate does not
count), community workers per 10,000 residents and their certified share (summed up the tree,
never averaged), training this year, and the special-post allowance by level and years."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.care.models import Carer, Provider
from tongzhou.geo.models import Region
from tongzhou.network.models import (
    CommunityWorker,
    TrainingAttendance,
    TrainingSession,
    VillagePopulation,
)
from tongzhou.network.workforce import workforce

pytestmark = pytest.mark.django_db
XIAN, DONGGUANMIAO = "330902002001", "330902002002"
DAY = dt.date(2026, 6, 1)


def test_the_workforce_per_unit(make_user: Callable[..., Any], make_elder: Callable[..., Any],
                                signed_in: Callable[[Any], Any]) -> None:  # fmt: skip
    for _ in range(4):
        make_elder(XIAN, birth=dt.date(1940, 1, 1))
    provider = Provider.objects.create(name="定海护理社", kind="social",
                                       region=Region.objects.get(code="330902"))  # fmt: skip
    Carer.objects.create(provider=provider, name="甲", certificate_level="junior",
                         certificate_issued=dt.date(2026, 3, 1),
                         certificate_expires=dt.date(2031, 3, 1),
                         in_post_since=dt.date(2024, 1, 1))  # fmt: skip
    Carer.objects.create(
        provider=provider,
        name="乙",
        certificate_level="middle",
        certificate_expires=dt.date(2026, 1, 1),
    )  # expired: not counted
    Carer.objects.create(
        provider=provider,
        name="丙",
        certificate_level="junior",
        certificate_expires=dt.date(2030, 1, 1),
        in_post_since=dt.date(2026, 2, 1),
    )  # in post under a year
    xian, other = Region.objects.get(code=XIAN), Region.objects.get(code=DONGGUANMIAO)
    VillagePopulation.objects.create(village=xian, residents=10_000, year=2025,
                                     provenance="bureau")  # fmt: skip
    VillagePopulation.objects.create(village=other, residents=5_000, year=2025,
                                     provenance="bureau")  # fmt: skip
    for village, name, certified in ((xian, "一", True), (xian, "二", True), (xian, "三", False),
                                     (other, "四", False)):  # fmt: skip
        CommunityWorker.objects.create(village=village, name=name, certified=certified)
    CommunityWorker.objects.create(
        village=other, name="五", certified=True, until=dt.date(2026, 1, 1)
    )  # left: not counted
    session = TrainingSession.objects.create(
        name="十百千第1期", programme="十百千", region=Region.objects.get(code="330900"),
        held_from=dt.date(2026, 3, 1), held_to=dt.date(2026, 3, 5),
    )  # fmt: skip
    TrainingAttendance.objects.bulk_create([
        TrainingAttendance(session=session, person_name="学员甲", passed=True),
        TrainingAttendance(session=session, person_name="学员乙", passed=False),
        TrainingAttendance(session=session, person_name="学员丙"),
    ])  # fmt: skip
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    work = workforce(district, DAY)
    [dinghai] = work.districts
    assert (dinghai.carers, dinghai.elders) == (2, 4)
    assert dinghai.carers_per_10k_elders == 5000.0
    assert work.carers_new_this_year == 1
    xian_unit = next(u for u in work.villages if u.region.code == XIAN)
    assert (xian_unit.workers_per_10k_residents, xian_unit.certified_share) == (3.0, 2 / 3)
    town = next(u for u in work.towns if u.region.code == "330902002")
    assert (town.workers, town.certified_workers) == (4, 2)
    assert town.residents >= 15_000 and not xian_unit.residents_estimated
    assert (work.sessions, work.attendances, work.passed) == (1, 3, 1)
    assert [(carer.name, fen) for carer, fen in work.allowance] == [("甲", 20000)]
    page = signed_in(district).get("/network/workforce/").content.decode()
    assert "定海区" in page and "200.00" in page
    # Another district's officer sees none of this district's carers or workers.
    putuo = workforce(make_user(Role.DISTRICT_OFFICER, region="330903"), DAY)
    assert putuo.allowance == [] and putuo.total.carers == 0
    assert all(u.region.path.startswith("330900/330903/") for u in putuo.towns)
    assert putuo.total.workers == 0
