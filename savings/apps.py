from django.apps import AppConfig


class SavingsConfig(AppConfig):
    name = "savings"
    verbose_name = "Savings"

    def ready(self) -> None:
        from savings.dashboard import register_tiles
        from savings.receivers import receivers_connect

        receivers_connect()
        register_tiles()
