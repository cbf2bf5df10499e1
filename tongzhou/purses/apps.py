from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PursesConfig(AppConfig):
    name = "tongzhou.purses"
    verbose_name = _("Purses")
