from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "saasmgr.core"
    label = "core"
    verbose_name = "Core"
