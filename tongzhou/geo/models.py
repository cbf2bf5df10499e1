from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Island(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    county = models.ForeignKey(
        "geo.Region",
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="islands",
        help_text=_("Empty for an island that spans counties (舟山本岛)."),
    )
    area_km2 = models.FloatField(_("measured area (km²)"), null=True, blank=True)
    official_area_km2 = models.FloatField(_("official area (km²)"), null=True, blank=True)
    centroid_lon = models.FloatField(_("centroid longitude"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    has_town = models.BooleanField(_("town seated here"), default=False)
    fixed_link = models.BooleanField(
        _("fixed link (bridge)"), null=True, blank=True, help_text=_("Empty when unknown.")
    )
    link_note = models.CharField(_("link note"), max_length=120, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("population year"), null=True, blank=True)
    population_source = models.CharField(_("population source"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    # The island's land as a GeoJSON geometry in WGS-84 (empty where nothing places it).
    outline = models.JSONField(_("outline"), null=True, blank=True, editable=False)
    outline_source = models.CharField(_("outline drawn from"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("island")
        verbose_name_plural = _("islands")
        ordering = ["-has_town", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_km2__isnull=True) | Q(area_km2__gt=0), name="island_area_positive"
            ),
            models.CheckConstraint(
                condition=Q(centroid_lon__isnull=True, centroid_lat__isnull=True)
                | Q(centroid_lon__range=(-180, 180), centroid_lat__range=(-90, 90)),
                name="island_centroid_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_main_island(self) -> bool:
        return self.name == "舟山本岛"


class RegionLevel(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district / county")
    TOWN = "town", _("town / subdistrict")
    VILLAGE = "village", _("village / community")


LEVEL_DEPTH = {
    RegionLevel.CITY: 0,
    RegionLevel.DISTRICT: 1,
    RegionLevel.TOWN: 2,
    RegionLevel.VILLAGE: 3,
}


class RegionKind(models.TextChoices):
    CITY = "city", _("prefecture-level city")
    DISTRICT = "district", _("district (区)")
    COUNTY = "county", _("county (县)")
    SUBDISTRICT = "subdistrict", _("subdistrict (街道)")
    TOWN = "town", _("town (镇)")
    TOWNSHIP = "township", _("township (乡)")
    RESIDENT_COMMITTEE = "resident_committee", _("resident committee (居委会)")
    VILLAGE_COMMITTEE = "village_committee", _("village committee (村委会)")
    RESIDENT_LIKE = "resident_like", _("resident-like committee (类似居委会)")
    VILLAGE_LIKE = "village_like", _("village-like committee (类似村委会)")


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, region: Region) -> RegionQuerySet:
        """The region and everything under it: one indexed prefix match on `path`."""
        return self.filter(path__startswith=region.path)

    def villages(self) -> RegionQuerySet:
        return self.filter(level=RegionLevel.VILLAGE)


def district_code(path: str) -> str:
    """The district (or county) a region's `path` lies in: its second code."""
    return path.split("/")[1]


class Region(models.Model):
    """A node of 舟山市 → district/county → town/street → village/community.

    `path` is the materialised path of NBS codes (330900/330902/330902002/), so "everything
    under this region" is a prefix match, on SQLite and PostgreSQL alike.
    """

    code = models.CharField(_("NBS code"), max_length=12, unique=True)
    mca_code = models.CharField(_("MCA code"), max_length=12, blank=True)
    name = models.CharField(_("name"), max_length=40)
    mca_name = models.CharField(_("MCA name"), max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=80, unique=True)
    island = models.ForeignKey(
        Island,
        verbose_name=_("island"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regions",
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    point_is_approximate = models.BooleanField(_("approximate point"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            # PostgreSQL needs pattern ops for LIKE 'prefix%'; SQLite ignores opclasses.
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "parent"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True)
                | (~Q(level="city") & Q(parent__isnull=False)),
                name="region_only_city_is_root",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["city", "district"]) | Q(island__isnull=False),
                name="region_town_village_on_island",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[RegionLevel(self.level)]

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)

    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.split("/") if code]

    @property
    def full_name(self) -> str:
        """e.g. 定海区 昌国街道 西安社区居委会 (without the city)."""
        from_path = Region.objects.filter(code__in=self.ancestor_codes()[1:]).order_by("path")
        return " ".join(r.name for r in from_path)
