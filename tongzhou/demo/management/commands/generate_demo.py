from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongzhou.demo.generator import DEMO_PASSWORD, SCALES, DemoExists, generate_demo


class Command(BaseCommand):
    help = "Build reproducible synthetic demo data on Zhoushan's real regions."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and say so) when the database already holds elders",
        )

    def handle(self, *args: Any, scale: str, seed: int, if_empty: bool, **options: Any) -> None:
        try:
            result = generate_demo(scale=scale, seed=seed)
        except DemoExists as exists:
            if not if_empty:
                raise CommandError(str(exists)) from None
            self.stdout.write(f"demo data already present ({exists.elders} elders); kept as is")
        else:
            self.stdout.write(
                f"scale={scale} seed={seed}: {result.elders} elders, "
                f"{result.memberships} category memberships, {result.canteens} canteens, "
                f"{result.terminals} terminals, {result.users} accounts, "
                f"{result.delivery_orders} standing delivery orders "
                f"({result.delivered_today} delivered today), "
                f"{result.eat_in_regulars} eat-in regulars, "
                f"{result.sales_last_month} sales last month, {result.entitlements} care "
                f"entitlements, {result.care_orders} service orders, "
                f"{result.visits_made} caring visits made, {result.discovery_cases} discovery "
                f"cases, {result.facilities} care facilities in {result.seconds:.1f} s"
            )
            self.stdout.write(f"terminal credentials: {result.credentials_file}")
        self.stdout.write(
            "sign in at http://127.0.0.1:8000/ as 'admin' (platform administrator) or as "
            "city / dinghai / putuo / changguo / xian / canteen1 / cashier1 / courier1 / carer1 / "
            f"auditor, password '{DEMO_PASSWORD}'"
        )
