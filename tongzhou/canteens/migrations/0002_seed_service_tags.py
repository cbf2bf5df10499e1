from django.db import migrations

TAGS = [
    ("service", "食堂+服务", "Canteen + care services"),
    ("charity", "食堂+慈善", "Canteen + charity"),
    ("health", "食堂+医疗", "Canteen + health checks"),
    ("culture", "食堂+文娱", "Canteen + culture and recreation"),
    ("volunteer", "食堂+志愿", "Canteen + volunteers"),
    ("delivery", "食堂+配送", "Canteen + home delivery"),
]


def seed(apps, schema_editor):
    ServiceTag = apps.get_model("canteens", "ServiceTag")
    for code, zh, en in TAGS:
        ServiceTag.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en})


def unseed(apps, schema_editor):
    apps.get_model("canteens", "ServiceTag").objects.filter(code__in=[t[0] for t in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("canteens", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
