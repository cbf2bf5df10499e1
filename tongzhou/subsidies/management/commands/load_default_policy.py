import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tongzhou.audit.services import audit_record
from tongzhou.elders.models import Category
from tongzhou.geo.models import Region
from tongzhou.geo.selectors import city_code
from tongzhou.subsidies.models import SubsidyPolicy, SubsidyRule

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "default_policy.json"


class Command(BaseCommand):
    help = "Load the shipped city-wide default subsidy policy if no policy exists yet."

    def handle(self, *args: Any, **options: Any) -> None:
        if SubsidyPolicy.objects.exists():
            self.stdout.write("subsidy policies already present; kept as they are")
            return
        data = json.loads(DEFAULT.read_text(encoding="utf-8"))
        with transaction.atomic():
            policy = SubsidyPolicy.objects.create(
                region=Region.objects.get(code=city_code()),
                name=data["name"],
                effective_from=dt.date.fromisoformat(data["effective_from"]),
                min_spend_fen=data["min_spend_fen"],
                monthly_cap_meals=data["monthly_cap_meals"],
                delivery_fee_fen=data["delivery_fee_fen"],
                delivery_subsidy_fen=data["delivery_subsidy_fen"],
                delivery_categories=data["delivery_categories"],
                delivery_min_age_alone=data["delivery_min_age_alone"],
                operating_fen_per_elder_day=data["operating_fen_per_elder_day"],
                **data["sale_limits"],
            )
            for rule in data["rules"]:
                category = rule.pop("category", None)
                SubsidyRule.objects.create(
                    policy=policy,
                    category=Category.objects.get(code=category) if category else None,
                    **rule,
                )
            audit_record(
                actor=None,
                action="policy.load_default",
                target=policy,
                after={"name": policy.name, "rules": len(data["rules"])},
                scope_path=policy.region.path,
            )
        self.stdout.write(f"loaded default policy '{policy.name}' with {len(data['rules'])} rules")
