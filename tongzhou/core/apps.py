from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongzhou.core"
    label = "core"
