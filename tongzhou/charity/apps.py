from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharityConfig(AppConfig):
    name = "tongzhou.charity"
    label = "charity"
    verbose_name = _("Charity funds")
