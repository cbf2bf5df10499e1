from django.db import migrations

# The default risk tiers (默认频次). Zhejiang's and Zhoushan's frequencies by tier are not
# published; these follow a three-tier model reported from outside Zhejiang (high risk
# weekly, key groups monthly, others quarterly) and the 2022 national guideline's groups.
# The bureau edits them in the back office.
TIERS = [
    ("high", "高风险", "High risk", 10, 80, ["living_alone", "empty_nest", "left_behind"],
     ["alone", "empty_nest"], None, "week", False),
    ("key", "重点关注", "Key group", 20, 60,
     ["tekun", "disabled", "semi_disabled", "severe_disability", "family_planning_special",
      "lost_only_child", "living_alone", "empty_nest", "left_behind", "dibao"],
     ["alone", "empty_nest"], None, "month", False),
    ("general", "一般关注", "General", 30, 80, [], [], None, "quarter", True),
]


def seed(apps, schema_editor):
    VisitTier = apps.get_model("visits", "VisitTier")
    for code, zh, en, priority, age, cats, living, level, freq, remote in TIERS:
        VisitTier.objects.update_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "priority": priority, "min_age": age,
                      "categories": cats, "living": living, "min_assessment_level": level,
                      "frequency": freq, "remote_counts": remote, "provenance": "default"},
        )


def unseed(apps, schema_editor):
    apps.get_model("visits", "VisitTier").objects.filter(
        code__in=[t[0] for t in TIERS], visits__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
