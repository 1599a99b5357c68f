"""The Reference Security Incident Taxonomy (RSIT) as data: every event and incident is
classified by a class (``classification.taxonomy``) and a type (``classification.type``).

The classes and types live in ``data/rsit.toml`` so that an operator can read them and the
tests can check every feed mapping against them; a few types outside RSIT proper (IntelMQ's
and Shadowserver's names) are marked with their origin there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class TaxonomyClass:
    """One RSIT class with its types (type name → description)."""

    name: str
    description: str
    types: dict[str, str]


@dataclass(frozen=True)
class Taxonomy:
    """The whole taxonomy: classes by name, and which types are additions to RSIT."""

    classes: dict[str, TaxonomyClass]
    additions: dict[str, str]

    def is_class(self, name: str) -> bool:
        """Whether ``name`` is a classification.taxonomy value."""
        return name in self.classes

    def is_type(self, name: str) -> bool:
        """Whether ``name`` is a classification.type value of any class."""
        return name in self.all_types

    def pair_is_valid(self, taxonomy: str, type_: str) -> bool:
        """Whether ``type_`` belongs to the class ``taxonomy``."""
        cls = self.classes.get(taxonomy)
        return cls is not None and type_ in cls.types

    @property
    def all_types(self) -> frozenset[str]:
        """Every type name of every class."""
        return frozenset(t for c in self.classes.values() for t in c.types)

    def class_of(self, type_: str) -> str | None:
        """The class a type belongs to (type names are unique across classes in RSIT)."""
        for cls in self.classes.values():
            if type_ in cls.types:
                return cls.name
        return None


def _parse(data: dict[str, object]) -> Taxonomy:
    raw_classes = data.get("taxonomy")
    if not isinstance(raw_classes, dict):
        raise ValueError("taxonomy data has no [taxonomy] table")
    classes: dict[str, TaxonomyClass] = {}
    for name, body in raw_classes.items():
        if not isinstance(body, dict) or not isinstance(body.get("types"), dict):
            raise ValueError(f"taxonomy class {name!r} needs a description and types")
        classes[name] = TaxonomyClass(
            name=name,
            description=str(body.get("description", "")),
            types={str(k): str(v) for k, v in body["types"].items()},
        )
    origin = data.get("origin", {})
    additions = {str(k): str(v) for k, v in origin.items()} if isinstance(origin, dict) else {}
    return Taxonomy(classes=classes, additions=additions)


@cache
def rsit() -> Taxonomy:
    """The packaged RSIT taxonomy (read once per process)."""
    text = resources.files("certnet.feeds").joinpath("data/rsit.toml").read_text("utf-8")
    return _parse(tomllib.loads(text))
