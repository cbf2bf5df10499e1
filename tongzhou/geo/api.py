from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from tongzhou.core.api import ERRORS, BoundedLimitOffset
from tongzhou.core.errors import NotFound
from tongzhou.geo import selectors
from tongzhou.geo.models import Island, Region

router = Router(tags=["geo"])


class RegionOut(Schema):
    code: str
    mca_code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    path: str
    island: str | None
    lon: float | None
    lat: float | None

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.path.rstrip("/").split("/")[-2] if obj.parent_id else None

    @staticmethod
    def resolve_island(obj: Region) -> str | None:
        return obj.island.name if obj.island is not None else None


class IslandOut(Schema):
    id: int
    name: str
    county_code: str | None
    area_km2: float | None
    official_area_km2: float | None
    centroid_lon: float | None
    centroid_lat: float | None
    has_town: bool
    fixed_link: bool | None
    population: int | None
    population_year: int | None

    @staticmethod
    def resolve_county_code(obj: Island) -> str | None:
        return obj.county.code if obj.county is not None else None


@router.get("/regions", response={200: list[RegionOut], **ERRORS}, summary="List regions")
@paginate(BoundedLimitOffset)
def list_regions(
    request: HttpRequest, level: str | None = None, parent: str | None = None
) -> object:
    """Regions of 舟山市; filter by `level` (city, district, town, village) or `parent` code."""
    return selectors.region_list(level=level, parent_code=parent)


@router.get("/regions/{code}", response={200: RegionOut, **ERRORS}, summary="One region")
def get_region(request: HttpRequest, code: str) -> Region:
    region = selectors.region_get(code=code)
    if region is None:
        raise NotFound("区域", "region")
    return region


@router.get("/islands", response={200: list[IslandOut], **ERRORS}, summary="List islands")
def list_islands(request: HttpRequest) -> object:
    return selectors.island_list()


@router.get("/islands/{island_id}", response={200: IslandOut, **ERRORS}, summary="One island")
def get_island(request: HttpRequest, island_id: int) -> Island:
    island = selectors.island_list().filter(pk=island_id).first()
    if island is None:
        raise NotFound("海岛", "island")
    return island
