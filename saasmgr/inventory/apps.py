from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "saasmgr.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from saasmgr.core.dashboard import Tile, register_tile
        from saasmgr.inventory import importers, selectors  # noqa: F401 - importing registers the importers

        for tile in (
            Tile("Inventory", "Applications", selectors.application_count, "inventory:application_list", order=10),
            Tile(
                "Inventory",
                "Under review",
                lambda: selectors.application_count(status="under_review"),
                "inventory:application_list",
                "status=under_review",
                order=11,
            ),
            Tile(
                "Inventory",
                "Unsanctioned",
                lambda: selectors.application_count(status="unsanctioned"),
                "inventory:application_list",
                "status=unsanctioned",
                order=12,
            ),
            Tile("Inventory", "Vendors", selectors.vendor_count, "inventory:vendor_list", order=13),
            Tile(
                "People",
                "Active people",
                selectors.active_people_count,
                "inventory:person_list",
                "status=active",
                order=20,
            ),
            Tile(
                "People",
                "Terminated",
                lambda: selectors.person_count(status="terminated"),
                "inventory:person_list",
                "status=terminated",
                order=21,
            ),
            Tile("People", "Departments", selectors.department_count, "inventory:department_list", order=22),
        ):
            register_tile(tile)
