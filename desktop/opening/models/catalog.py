"""The catalog of recommended models (``catalog.json`` in the package)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

from opening.base.errors import BadInput


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    repo_id: str
    filename: str
    revision: str
    size: int
    sha256: str | None
    licence: str
    languages: tuple[str, ...]
    family: str
    ram_hint_gb: float
    notes: str
    verified: str
    size_approx: bool = False
    embedded: str | None = None


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    family: str
    languages: tuple[str, ...]
    licence: str
    how: str


@dataclass(frozen=True)
class Catalog:
    models: tuple[CatalogEntry, ...]
    recipes: tuple[Recipe, ...] = field(default=())

    def find(self, name: str) -> CatalogEntry:
        for entry in self.models:
            if entry.name == name:
                return entry
        for recipe in self.recipes:
            if recipe.name == name:
                raise BadInput("catalog.not_downloadable", name=name, how=recipe.how)
        known = ", ".join(e.name for e in self.models)
        raise BadInput("catalog.unknown", name=repr(name), known=known)


def load_catalog() -> Catalog:
    raw = json.loads(resources.files(__package__).joinpath("catalog.json").read_text(encoding="utf-8"))
    models = tuple(CatalogEntry(**{**m, "languages": tuple(m["languages"])}) for m in raw["models"])
    recipes = tuple(Recipe(**{**r, "languages": tuple(r["languages"])}) for r in raw.get("recipes", []))
    return Catalog(models, recipes)
