"""SSVC prioritisation: the CISA coordinator tree (Track / Track* / Attend / Act) and the
deployer tree (Defer / Scheduled / Out-of-cycle / Immediate) as decision tables in data
(``risk/data/ssvc_*.toml``), the derivation of their inputs from the intelligence and the
asset, and the profile's measure policy (``risk/data/policy_<profile>.toml``).

Pure functions over plain values: no database.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cvss import CVSS3, CVSS4, CVSSError  # type: ignore[import-untyped]

from certnet.core.errors import Invalid, NotFound

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DecisionTable:
    """A decision tree as a table: the decision points, their values, and one outcome for
    every combination."""

    name: str
    decision_points: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]
    outcomes: tuple[str, ...]
    rows: Mapping[tuple[str, ...], str]

    def decide(self, **inputs: str) -> str:
        """The outcome for one combination of inputs; :class:`Invalid` names a bad input."""
        key = []
        for point in self.decision_points:
            value = inputs.get(point)
            if value not in self.values[point]:
                allowed = ", ".join(self.values[point])
                raise Invalid.on(point, f"{value!r} is not one of {allowed}")
            key.append(value)
        return self.rows[tuple(key)]


def load_table(path: Path) -> DecisionTable:
    """Read a decision table and check it: every combination of values has exactly one row
    and every outcome is a declared one. A broken table is an :class:`Invalid` naming it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    points = tuple(data["decision_points"])
    values = {p: tuple(data["values"][p]) for p in points}
    outcomes = tuple(data["outcomes"])
    rows: dict[tuple[str, ...], str] = {}
    for index, row in enumerate(data["rows"]):
        *inputs, outcome = row
        key = tuple(inputs)
        problem = None
        if len(key) != len(points):
            problem = f"has {len(key)} inputs, the table {len(points)}"
        elif any(v not in values[p] for p, v in zip(points, key, strict=True)):
            problem = f"uses a value outside the declared ones: {key}"
        elif outcome not in outcomes:
            problem = f"outcome {outcome!r} is not declared"
        elif key in rows:
            problem = f"repeats the combination {key}"
        if problem:
            raise Invalid.on(f"{path.name}: rows[{index}]", problem)
        rows[key] = outcome
    for combination in itertools.product(*(values[p] for p in points)):
        if combination not in rows:
            raise Invalid.on(path.name, f"no row for the combination {combination}")
    return DecisionTable(data["name"], points, values, outcomes, rows)


@lru_cache
def coordinator_table() -> DecisionTable:
    """The CISA coordinator tree."""
    return load_table(DATA / "ssvc_coordinator.toml")


@lru_cache
def deployer_table() -> DecisionTable:
    """The deployer (patch application priority) tree."""
    return load_table(DATA / "ssvc_deployer.toml")


# --- policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A profile's measure policy: due days per deployer decision, KEV, EPSS, impact."""

    due_days: Mapping[str, int]
    use_kev_due_date: bool
    epss_poc_threshold: float
    measure_kind: Mapping[str, str]
    wellbeing_sectors: frozenset[str]
    cii_raises: bool

    def due_on(
        self, *, decision: str, first_seen: date, kev_due_date: date | None
    ) -> tuple[date | None, str | None]:
        """When a measure falls due, and why (``policy:<decision>`` or ``kev``)."""
        days = self.due_days.get(decision)
        due = first_seen + timedelta(days=days) if days is not None else None
        basis = f"policy:{decision}" if due is not None else None
        kev_sooner = kev_due_date is not None and (due is None or kev_due_date < due)
        if self.use_kev_due_date and kev_sooner:
            return kev_due_date, "kev"
        return due, basis


@lru_cache
def policy(profile_id: str) -> Policy:
    """The measure policy of a profile, from ``risk/data/policy_<profile>.toml``."""
    path = DATA / f"policy_{profile_id}.toml"
    if not path.is_file():
        raise NotFound(f"no risk policy for profile {profile_id!r} ({path.name})")
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return Policy(
        due_days={k: int(v) for k, v in data["due_days"].items()},
        use_kev_due_date=bool(data["kev"]["use_due_date"]),
        epss_poc_threshold=float(data["exploitation"]["epss_poc_threshold"]),
        measure_kind=dict(data["measure_kind"]),
        wellbeing_sectors=frozenset(data["impact"]["wellbeing_sectors"]),
        cii_raises=bool(data["impact"]["cii_raises"]),
    )


# --- CVSS --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CvssScore:
    """A parsed CVSS vector with its base score and severity, and the SSVC inputs it implies."""

    version: str
    vector: str
    score: float
    severity: str
    automatable: str
    technical_impact: str


def score_cvss(vector: str) -> CvssScore:
    """Parse and score a CVSS 3.0/3.1 or 4.0 vector with the ``cvss`` library.

    *Automatable* is ``yes`` for a network attack of low complexity needing no privileges and
    no user (4.0: the supplemental ``AU:Y`` when given); *Technical Impact* is ``total`` when
    confidentiality and integrity are both lost (high) on the vulnerable system.
    Raises :class:`ValueError` with the library's reason.
    """
    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            m = v4.metrics
            if m.get("AU") in ("Y", "N"):
                auto = m["AU"] == "Y"
            else:
                auto = (m["AV"], m["AC"], m["AT"], m["PR"], m["UI"]) == ("N", "L", "N", "N", "N")
            total = m["VC"] == "H" and m["VI"] == "H"
            return CvssScore(
                "4.0",
                text,
                float(v4.base_score),
                str(v4.severity).lower(),
                "yes" if auto else "no",
                "total" if total else "partial",
            )
        if text.startswith(("CVSS:3.1/", "CVSS:3.0/")):
            v3 = CVSS3(text)
            m = v3.metrics
            auto = (m["AV"], m["AC"], m["PR"], m["UI"]) == ("N", "L", "N", "N")
            total = m["C"] == "H" and m["I"] == "H"
            return CvssScore(
                text[5:8],
                text,
                float(v3.base_score),
                str(v3.severities()[0]).lower(),
                "yes" if auto else "no",
                "total" if total else "partial",
            )
    except CVSSError as error:
        raise ValueError(f"invalid CVSS vector: {error}") from None
    raise ValueError("a CVSS vector starts with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/")


# --- deriving the inputs -----------------------------------------------------------------

_LEVELS = ("low", "medium", "high", "very_high")
_CRITICALITY_TO_HUMAN = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True)
class SsvcInputs:
    """Every input both trees need, as derived or overridden."""

    exploitation: str
    automatable: str
    technical_impact: str
    system_exposure: str
    mission_wellbeing: str
    human_impact: str

    def as_dict(self) -> dict[str, str]:
        return {
            "exploitation": self.exploitation,
            "automatable": self.automatable,
            "technical_impact": self.technical_impact,
            "system_exposure": self.system_exposure,
            "mission_wellbeing": self.mission_wellbeing,
            "human_impact": self.human_impact,
        }


def derive_exploitation(
    *, kev: bool, exploited: bool, poc: bool, epss: float | None, rules: Policy
) -> str:
    """``active`` when the KEV catalogue or a source reports exploitation; ``poc`` when a
    proof of concept is public or EPSS is at or above the policy's threshold; else ``none``."""
    if kev or exploited:
        return "active"
    if poc or (epss is not None and epss >= rules.epss_poc_threshold):
        return "poc"
    return "none"


def derive_impact(
    *, criticality: str, sector: str | None, cii: bool, rules: Policy
) -> tuple[str, str]:
    """Mission and well-being (coordinator: low/medium/high) and human impact (deployer:
    low/medium/high/very_high) from the asset's criticality, raised for a well-being sector
    (at least medium) and for designated CII (one level)."""
    level = _CRITICALITY_TO_HUMAN.get(criticality, 1)
    if sector in rules.wellbeing_sectors:
        level = max(level, 1)
    if cii and rules.cii_raises:
        level = min(level + 1, 3)
    return ("low", "medium", "high", "high")[level], _LEVELS[level]


def decide(inputs: SsvcInputs) -> tuple[str, str]:
    """The coordinator and deployer decisions for a set of inputs."""
    values = inputs.as_dict()
    coordinator = coordinator_table().decide(
        **{p: values[p] for p in coordinator_table().decision_points}
    )
    deployer = deployer_table().decide(**{p: values[p] for p in deployer_table().decision_points})
    return coordinator, deployer
