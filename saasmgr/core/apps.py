from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "saasmgr.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from saasmgr.core import fx_importers  # noqa: F401 - importing registers the importer
