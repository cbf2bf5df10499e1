"""The special-post allowance for certified carers, by certificate level: a shipped default
(the city's own amounts are not published), for the bureau to replace."""

import datetime as dt

from django.db import migrations

AMOUNTS = {"junior": 20000, "middle": 30000, "senior": 40000, "technician": 50000}


def seed(apps, schema_editor):
    rule = apps.get_model("network", "AllowanceRule")
    for level, fen in AMOUNTS.items():
        rule.objects.get_or_create(
            certificate_level=level,
            min_years=1,
            valid_from=dt.date(2024, 1, 1),
            defaults={
                "monthly_fen": fen,
                "provenance": "default",
                "source": "默认值，待市民政局按本地岗位津贴政策确认",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0003_workforce")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
