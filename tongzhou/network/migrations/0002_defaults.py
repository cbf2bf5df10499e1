"""The shipped defaults: the two 15-minute circle profiles, the island tier rule, and the
draft list of island links (every figure marked as a draft to verify)."""

import csv
from pathlib import Path

from django.db import migrations

LINKS = Path(__file__).resolve().parents[1] / "data" / "links.csv"

PROFILES = [
    {
        "code": "planning",
        "name_zh": "规划口径（1000米）",
        "name_en": "Planning norm (1,000 m)",
        "radius_m": 1000,
        "how": "GB 50180-2018 的15分钟生活圈按步行约1公里规划，按直线1000米计",
        "is_default": True,
    },
    {
        "code": "frail",
        "name_zh": "体弱老人口径（525米）",
        "name_en": "Frail elder (525 m)",
        "radius_m": 525,
        "how": "0.76米/秒 × 900秒 ÷ 绕行系数1.3 ≈ 525米（直线），行动不便老人的步速",
        "is_default": False,
    },
]


def seed(apps, schema_editor):
    profile = apps.get_model("network", "CircleProfile")
    for row in PROFILES:
        profile.objects.update_or_create(
            code=row["code"],
            defaults=row | {"core_kinds": ["meals", "medical"], "provenance": "default"},
        )
    apps.get_model("network", "IslandTierRule").objects.get_or_create(pk=1)
    link = apps.get_model("network", "Link")
    with LINKS.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            link.objects.update_or_create(
                a=row["from"],
                b=row["to"],
                mode=row["mode"],
                defaults={
                    "minutes": int(row["minutes"]),
                    "sailings_a_day": int(row["sailings_a_day"]) if row["sailings_a_day"] else None,
                    "provenance": row["provenance"],
                    "source": row["source"],
                },
            )


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
