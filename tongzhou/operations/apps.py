from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "tongzhou.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Registers the database checks (run by `migrate`, `serve` and `check --database`).
        from tongzhou.operations import checks  # noqa: F401 - imported for its registration
