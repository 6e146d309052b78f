"""Every importer of every app, by kind and format. Apps register theirs in
``AppConfig.ready`` so that core never imports the apps above it."""

from saasmgr.core.imports.base import Importer

_IMPORTERS: dict[str, type[Importer]] = {}


class UnknownImporter(LookupError):
    pass


def register_importer(importer: type[Importer]) -> type[Importer]:
    """Usable as a class decorator; registering the same key twice replaces the first."""
    _IMPORTERS[importer.key()] = importer
    return importer


def all_importers() -> list[type[Importer]]:
    return sorted(
        _IMPORTERS.values(), key=lambda importer: (importer.kind, importer.format != "generic", importer.format)
    )


def importers_for(user) -> list[type[Importer]]:
    return [importer for importer in all_importers() if importer.may_run(user)]


def kinds() -> list[str]:
    return sorted({importer.kind for importer in _IMPORTERS.values()})


def formats_of(kind: str) -> list[str]:
    return [importer.format for importer in all_importers() if importer.kind == kind]


def get_importer(kind: str, format: str = "generic") -> type[Importer]:
    try:
        return _IMPORTERS[f"{kind}:{format}"]
    except KeyError:
        if kind not in kinds():
            raise UnknownImporter(
                f"Unknown import kind “{kind}”. Known kinds: {', '.join(kinds()) or 'none'}."
            ) from None
        raise UnknownImporter(
            f"Unknown format “{format}” for {kind}. Known formats: {', '.join(formats_of(kind))}."
        ) from None
