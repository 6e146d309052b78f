"""The home dashboard's tiles. Each app registers its own in ``AppConfig.ready``,
so core never imports the apps above it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Tile:
    section: str
    title: str
    count: Callable[[], int]
    url_name: str
    query: str = ""
    order: int = 100


_TILES: list[Tile] = []


def register_tile(tile: Tile) -> None:
    if all(t.title != tile.title or t.section != tile.section for t in _TILES):
        _TILES.append(tile)


def dashboard_sections(user) -> list[tuple[str, list[dict]]]:
    """The tiles whose page ``user`` may open, by section; a tile never links to a page that refuses them."""
    from saasmgr.core.access import role_may

    sections: dict[str, list[dict]] = {}
    for tile in sorted(_TILES, key=lambda t: t.order):
        if not role_may(user, tile.url_name, write=False):
            continue
        url = reverse(tile.url_name) + (f"?{tile.query}" if tile.query else "")
        sections.setdefault(tile.section, []).append({"title": tile.title, "count": tile.count(), "url": url})
    return list(sections.items())
