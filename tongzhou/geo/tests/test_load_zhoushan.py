from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongzhou.audit.models import AuditEvent
from tongzhou.geo.models import Island, Region, RegionLevel

pytestmark = pytest.mark.django_db


def test_load_prints_the_real_counts_and_is_idempotent() -> None:
    out = StringIO()
    call_command("load_zhoushan", stdout=out)
    call_command("load_zhoushan", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == lines[1] == ("city: 1, districts: 4, towns: 36, villages: 428, islands: 53")
    assert Region.objects.count() == 1 + 4 + 36 + 428


def test_codes_tree_and_committee_types() -> None:
    city = Region.objects.get(level=RegionLevel.CITY)
    assert (city.code, city.name, city.path) == ("330900", "舟山市", "330900/")
    assert set(Region.objects.filter(level="district").values_list("name", flat=True)) == {
        "定海区",
        "普陀区",
        "岱山县",
        "嵊泗县",
    }
    # NBS and MCA township codes differ for 9 towns: both are kept.
    xiaosha = Region.objects.get(name="小沙街道")
    assert (xiaosha.code, xiaosha.mca_code) == ("330902010", "330902007000")
    differing = [r for r in Region.objects.filter(level="town") if r.mca_code[:9] != r.code]
    assert len(differing) == 9
    village = Region.objects.get(code="330902002001")
    assert village.kind == "resident_committee"
    assert village.path == "330900/330902/330902002/330902002001/"
    assert Region.objects.get(code="330902003201").kind == "village_committee"


def test_everything_under_a_region_is_one_prefix_query() -> None:
    dinghai = Region.objects.get(code="330902")
    with CaptureQueriesContext(connection) as queries:
        villages = Region.objects.within(dinghai).villages().count()
    # 定海区's 13 towns list 78 resident and 91 village committees in zhoushan_towns.csv.
    assert villages == 169
    assert len(queries) == 1
    town = Region.objects.get(code="330903100")  # 六横镇: 5 + 30 committees
    assert Region.objects.within(town).villages().count() == 35


def test_islands_towns_and_villages() -> None:
    main = Island.objects.get(name="舟山本岛")
    assert main.county is None  # spans 定海 and 普陀
    assert main.has_town and main.fixed_link is True
    assert not Island.objects.filter(name__contains="洋山 sea").exists()
    liuheng = Island.objects.get(name="六横岛")
    assert (liuheng.county.name, liuheng.fixed_link, liuheng.has_town) == ("普陀区", False, True)
    assert Island.objects.get(name="金塘岛").population == 37321
    assert Island.objects.get(name="秀山岛").fixed_link is None  # sources unsure: unknown
    # Towns sit on their island; small-island villages on theirs, the rest on the town's.
    assert Region.objects.get(name="六横镇").island == liuheng
    assert Region.objects.get(code="330903100276").island.name == "佛渡岛"
    assert Region.objects.get(code="330903001217").island.name == "蚂蚁岛"
    assert Region.objects.get(code="330902003201").island.name == "盘峙岛"
    assert Region.objects.get(code="330902002001").island == main
    assert not Region.objects.filter(level__in=["town", "village"], island__isnull=True).exists()
    assert not Region.objects.filter(level__in=["town", "village"], lon__isnull=True).exists()
    small_without_town = Island.objects.get(name="蚂蚁岛")
    assert small_without_town.has_town is False


def test_village_points_are_reproducible_and_near_their_town() -> None:
    before = dict(Region.objects.filter(level="village").values_list("code", "lon"))
    call_command("load_zhoushan", stdout=StringIO())
    after = dict(Region.objects.filter(level="village").values_list("code", "lon"))
    assert before == after
    for village in Region.objects.filter(level="village").select_related("parent"):
        if village.island_id == village.parent.island_id:
            assert abs(village.lon - village.parent.lon) < 0.04
            assert abs(village.lat - village.parent.lat) < 0.04


def test_loading_is_audited() -> None:
    call_command("load_zhoushan", stdout=StringIO())
    event = AuditEvent.objects.filter(action="geo.load_zhoushan").latest("id")
    assert event.after["villages"] == 428


def test_islands_have_their_land_and_villages_stand_on_it() -> None:
    from shapely.geometry import Point

    from tongzhou.geo.services import OUTLINE_DISC, OUTLINE_PART
    from tongzhou.geo.shapes import from_geojson

    islands = {island.name: island for island in Island.objects.all()}
    # Every island with a centroid is drawn: from the county outlines, or as a disc.
    drawn = [i for i in islands.values() if i.centroid_lon is not None]
    assert all(i.outline for i in drawn)
    assert islands["六横岛"].outline_source == OUTLINE_PART
    assert islands["大鹏岛"].outline_source == OUTLINE_DISC  # no part of its own in the source
    # 舟山本岛 holds both halves, 定海's and 普陀's, about 500 km² (km² from degrees at 30°N).
    main = from_geojson(islands["舟山本岛"].outline)
    assert 420 < main.area * 111.32 * 110.57 * 0.866 < 560
    assert main.contains(Point(122.30, 29.95))  # 沈家门, on the 普陀 half
    # No village is left in the sea by the coarse outlines.
    for village in Region.objects.filter(level=RegionLevel.VILLAGE).select_related("island"):
        if village.island.outline:
            assert from_geojson(village.island.outline).contains(Point(village.lon, village.lat))
