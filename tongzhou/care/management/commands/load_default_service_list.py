import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongzhou.care import listio
from tongzhou.care.models import Provenance, ServiceListVersion
from tongzhou.care.services import service_list_load

# The default stands in from before any elder's history, so every entitlement's reason
# dates from the fact itself.
DEFAULT_FROM = dt.date(2023, 1, 1)


class Command(BaseCommand):
    help = (
        "Load the shipped default basic elderly-care service list (11 groups, 52 items) if no "
        "list exists yet. It is a default modelled on the national list (2023) and Zhejiang "
        "practice, for the bureau to replace with its own."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if ServiceListVersion.objects.exists():
            self.stdout.write("a service list is already present; kept as it is")
            return
        groups, items = listio.read_default()
        version, report = service_list_load(
            actor=None,
            name="基本养老服务清单（默认值，待市民政局确认）",
            valid_from=DEFAULT_FROM,
            groups=groups,
            items=items,
            provenance=Provenance.DEFAULT,
            note="舟山市海岛特色基本养老服务清单未公开发布；此为参照国家基本养老服务清单（2023）"
            "与浙江做法编制的默认清单，由市民政局以正式清单替换。",
            allow_past=True,
        )
        if version is None or report.errors:
            raise CommandError(f"the default list did not load cleanly: {report.errors[:3]}")
        self.stdout.write(
            f"loaded {version.groups.count()} groups and {version.items.count()} items"
        )
