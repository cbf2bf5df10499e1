from django.db import migrations

# The categories of elders the civil-affairs system recognises; the bureau can add more.
CATEGORIES = [
    ("dibao", "低保", "Minimum living allowance (dibao)", 10),
    ("dibao_edge", "低保边缘", "Near-dibao low income", 20),
    ("tekun", "特困供养", "Extreme-poverty support (tekun)", 30),
    ("disabled", "失能", "Disabled (loss of self-care)", 40),
    ("semi_disabled", "半失能", "Partly disabled", 50),
    ("severe_disability", "重度残疾", "Severe disability", 60),
    ("family_planning_special", "计划生育特殊家庭", "Family-planning special family", 70),
    ("priority_care", "重点优抚对象", "Priority entitled group (veterans and families)", 80),
    ("living_alone", "独居", "Living alone", 90),
    ("empty_nest", "空巢", "Empty nest", 100),
    ("lost_only_child", "失独", "Lost their only child", 110),
    ("left_behind", "留守", "Left-behind elder", 120),
    ("other", "其他", "Other", 900),
]


def seed(apps, schema_editor):
    Category = apps.get_model("elders", "Category")
    for code, zh, en, order in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "sort_order": order}
        )


def unseed(apps, schema_editor):
    Category = apps.get_model("elders", "Category")
    Category.objects.filter(code__in=[c[0] for c in CATEGORIES], memberships__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("elders", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
