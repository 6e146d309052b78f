"""The licenses tiles of the home dashboard; ``register_tiles`` is called from LicensesConfig.ready()."""


def register_tiles() -> None:
    from django.conf import settings

    from licenses import selectors
    from saasmgr.core.dashboard import Tile, register_tile

    currency = settings.REPORTING_CURRENCY
    for tile in (
        Tile(
            "Licenses",
            "Idle seats (latest run)",
            selectors.idle_seats_latest,
            "licenses:finding_list",
            "impact=savings",
            order=40,
        ),
        Tile(
            "Licenses",
            f"Annual cost of idle seats ({currency})",
            selectors.idle_cost_latest,
            "licenses:finding_list",
            "impact=savings&sort=-annual_cost_impact",
            order=41,
        ),
        Tile(
            "Licenses",
            f"True-up risk ({currency}/yr)",
            selectors.true_up_risk_latest,
            "licenses:finding_list",
            "impact=risk",
            order=42,
        ),
        Tile(
            "Licenses",
            "Identities to review",
            selectors.identities_to_review_count,
            "licenses:identity_review_list",
            "status=pending",
            order=43,
        ),
    ):
        register_tile(tile)
