from django.db import migrations

# Default rules over the platform's own signals (主动发现). No Zhejiang rulebook is public;
# these follow the kinds of signal reported from Zhejiang practice (温州, 诸暨) and elsewhere,
# with editable thresholds. The bureau tunes them from the outcomes workers record.
RULES = [
    ("no-meal-7d", "常来用餐的老人7天没来", "Regular diner absent 7 days", "no_meal",
     {"days": 7, "min_meals": 8, "lookback": 30}, "high"),
    ("missed-visit", "探访逾期未完成", "Caring visit overdue", "missed_visits", {"count": 1},
     "medium"),
    ("alert-open-24h", "关爱提醒超过24小时未处理", "Wellness alert open over 24 hours",
     "open_alert", {"hours": 24}, "high"),
    ("alone-80-unserved", "80岁以上独居老人本季度未用任何服务", "80+, alone, no service this quarter",
     "alone_unserved", {"min_age": 80, "days": 90}, "medium"),
    ("hardship-expiring", "低保、低边、特困认定30天内到期", "Hardship category expiring in 30 days",
     "category_expiring", {"days": 30, "categories": ["dibao", "dibao_edge", "tekun"]}, "medium"),
    ("entitled-after-death", "登记死亡后仍享受服务", "Entitlements after a recorded death",
     "entitled_after_death", {}, "high"),
    ("purse-low", "个人餐费余额不足5元", "Own meal money below 5 yuan", "purse_low",
     {"below_fen": 500, "active_days": 30}, "low"),
    ("no-answer-2x", "30天内两次送餐无人应答", "Nobody answered twice in 30 days", "no_answer",
     {"count": 2, "days": 30}, "high"),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("discovery", "DiscoveryRule")
    for code, zh, en, signal, params, severity in RULES:
        Rule.objects.update_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "signal": signal, "params": params,
                      "severity": severity, "provenance": "default"},
        )


def unseed(apps, schema_editor):
    apps.get_model("discovery", "DiscoveryRule").objects.filter(
        code__in=[r[0] for r in RULES], cases__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("discovery", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
