"""RSIT (shared with the feeds), the CERT-In 20 types and the NIS2 mappings, as data
(``incidents/data/taxonomy.toml``)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from certnet.feeds.taxonomy import rsit


@cache
def _data() -> dict[str, Any]:
    text = resources.files("certnet.incidents").joinpath("data/taxonomy.toml").read_text("utf-8")
    return tomllib.loads(text)


def rsit_classes() -> dict[str, dict[str, str]]:
    """RSIT class → {type: description}: RSIT's own types only (the feeds' additions, such as
    ``blocklist``, are not for incident reports)."""
    taxonomy = rsit()
    added = set(taxonomy.additions)
    return {
        name: {t: d for t, d in cls.types.items() if f"{name}/{t}" not in added}
        for name, cls in taxonomy.classes.items()
    }


def certin_types() -> dict[str, str]:
    """The 20 incident types of the CERT-In directions (Annexure I): id → name."""
    return dict(_data()["certin"]["types"])


def certin_type_for(rsit_type: str) -> str | None:
    """The CERT-In type a report of this RSIT type gets by default (policy mapping)."""
    value = _data()["certin"]["from_rsit"].get(rsit_type)
    return str(value) if value is not None else None


def nis2_mapping() -> dict[str, Any]:
    """NIS2: root-cause categories, outlook values, which severities are significant, and the
    default root cause per RSIT class."""
    nis2 = _data()["nis2"]
    return {
        "source": nis2["source"],
        "root_causes": list(nis2["root_causes"]),
        "outlook": list(nis2["outlook"]),
        "significant": {k: v for k, v in nis2["significant"].items() if k != "basis"},
        "root_cause_from_rsit": {
            k: v for k, v in nis2["root_cause_from_rsit"].items() if k != "basis"
        },
    }


def data_affected_values() -> list[str]:
    """What a report may say about affected data."""
    return list(_data()["impact"]["data_affected"])
