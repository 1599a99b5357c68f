"""The registry of certnet's CSAF 2.0 mandatory tests: what a failure says, and running them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Failure:
    """One mandatory test a document fails: which, where (a JSON path) and why."""

    test: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.test} at {self.path}: {self.reason}"


Doc = dict[str, Any]
Check = Callable[[Doc], Iterator[Failure]]
#: Test id (``6.1.27.10``) → the check, in the order the checks' modules register them.
CHECKS: dict[str, Check] = {}


def check(test_id: str) -> Callable[[Check], Check]:
    """Register a function as the check of mandatory test ``test_id``."""

    def register(function: Check) -> Check:
        CHECKS[test_id] = function
        return function

    return register


def vulns(doc: Doc) -> list[tuple[int, Doc]]:
    """The document's vulnerabilities with their positions."""
    return list(enumerate(doc.get("vulnerabilities") or []))


def group_members(doc: Doc) -> dict[str, set[str]]:
    """Each product group's product ids."""
    groups = (doc.get("product_tree") or {}).get("product_groups") or []
    return {g.get("group_id", ""): set(g.get("product_ids") or []) for g in groups}


def covered(items: list[Doc], field: str, groups: dict[str, set[str]]) -> set[str]:
    """The product ids ``items`` name, directly (``field``) or through their groups."""
    covered: set[str] = set()
    for item in items:
        covered.update(item.get(field) or [])
        for gid in item.get("group_ids") or []:
            covered.update(groups.get(gid, set()))
    return covered


def run(doc: Doc, only: str | None = None) -> list[Failure]:
    """Every failure of ``doc`` against the implemented mandatory tests (or test ``only``)."""
    failures: list[Failure] = []
    for test_id, function in CHECKS.items():
        if only is None or test_id == only:
            failures.extend(function(doc))
    return failures
