"""SSVC decision tables: complete, consistent with the published trees' shape, and read
correctly; the derivation of inputs; the measure policy's due dates."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest

from certnet.core.errors import Invalid
from certnet.profiles import service as profiles
from certnet.risk import ssvc

ORDER = {
    "exploitation": ["none", "poc", "active"],
    "automatable": ["no", "yes"],
    "technical_impact": ["partial", "total"],
    "mission_wellbeing": ["low", "medium", "high"],
    "system_exposure": ["small", "controlled", "open"],
    "human_impact": ["low", "medium", "high", "very_high"],
}


@pytest.mark.parametrize("table", [ssvc.coordinator_table(), ssvc.deployer_table()])
def test_every_combination_has_exactly_one_declared_outcome(table: ssvc.DecisionTable) -> None:
    combos = list(itertools.product(*(table.values[p] for p in table.decision_points)))
    assert len(table.rows) == len(combos)
    for combo in combos:
        assert table.rows[combo] in table.outcomes


@pytest.mark.parametrize("table", [ssvc.coordinator_table(), ssvc.deployer_table()])
def test_raising_any_input_never_lowers_the_priority(table: ssvc.DecisionTable) -> None:
    # The published trees are monotone: more exploitation, exposure or impact never asks for
    # less urgency. A typo in a row breaks this.
    rank = {o: i for i, o in enumerate(table.outcomes)}
    for combo, outcome in table.rows.items():
        for i, point in enumerate(table.decision_points):
            values = ORDER[point]
            position = values.index(combo[i])
            if position + 1 < len(values):
                higher = (*combo[:i], values[position + 1], *combo[i + 1 :])
                assert rank[table.rows[higher]] >= rank[outcome], (combo, higher)


def test_anchor_rows_of_the_published_trees() -> None:
    coordinator = ssvc.coordinator_table()
    assert (
        coordinator.decide(
            exploitation="active",
            automatable="yes",
            technical_impact="total",
            mission_wellbeing="high",
        )
        == "act"
    )
    assert (
        coordinator.decide(
            exploitation="none",
            automatable="no",
            technical_impact="total",
            mission_wellbeing="high",
        )
        == "track*"
    )
    deployer = ssvc.deployer_table()
    assert (
        deployer.decide(
            exploitation="none", system_exposure="small", automatable="no", human_impact="low"
        )
        == "defer"
    )
    assert (
        deployer.decide(
            exploitation="active",
            system_exposure="open",
            automatable="no",
            human_impact="very_high",
        )
        == "immediate"
    )


def test_a_bad_input_is_named() -> None:
    with pytest.raises(Invalid) as bad:
        ssvc.coordinator_table().decide(
            exploitation="maybe",
            automatable="no",
            technical_impact="total",
            mission_wellbeing="low",
        )
    assert bad.value.errors[0].field == "exploitation"


def test_a_table_with_a_missing_row_is_refused(tmp_path: Path) -> None:
    source = (ssvc.DATA / "ssvc_coordinator.toml").read_text()
    broken = source.replace('  ["active", "yes", "total", "high", "act"],\n', "")
    assert broken != source
    path = tmp_path / "broken.toml"
    path.write_text(broken)
    with pytest.raises(Invalid, match="no row for the combination"):
        ssvc.load_table(path)


@pytest.mark.parametrize("profile_id", profiles.available())
def test_every_profile_has_a_policy(profile_id: str) -> None:
    rules = ssvc.policy(profile_id)
    assert set(rules.due_days) <= set(ssvc.deployer_table().outcomes)
    assert set(rules.measure_kind) == set(ssvc.deployer_table().outcomes)


def test_due_dates_follow_the_policy_and_kev_when_sooner() -> None:
    rules = ssvc.policy("pk_cert_rules_2023")
    seen = date(2026, 11, 1)
    assert rules.due_on(decision="immediate", first_seen=seen, kev_due_date=None) == (
        seen + timedelta(days=rules.due_days["immediate"]),
        "policy:immediate",
    )
    assert rules.due_on(decision="defer", first_seen=seen, kev_due_date=None) == (None, None)
    kev = seen + timedelta(days=1)
    assert rules.due_on(decision="scheduled", first_seen=seen, kev_due_date=kev) == (kev, "kev")
    later = seen + timedelta(days=400)
    assert rules.due_on(decision="immediate", first_seen=seen, kev_due_date=later)[1] == (
        "policy:immediate"
    )


def test_inputs_from_cvss() -> None:
    network = ssvc.score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert (network.score, network.automatable, network.technical_impact) == (9.8, "yes", "total")
    local = ssvc.score_cvss("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N")
    assert (local.automatable, local.technical_impact) == ("no", "partial")
    v4 = ssvc.score_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:N")
    assert (v4.version, v4.automatable) == ("4.0", "no")
    with pytest.raises(ValueError, match="invalid CVSS vector"):
        ssvc.score_cvss("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")


def test_exploitation_and_impact_derivation() -> None:
    rules = ssvc.policy("pk_cert_rules_2023")
    kwargs = {"exploited": False, "poc": False, "rules": rules}
    assert ssvc.derive_exploitation(kev=True, epss=None, **kwargs) == "active"  # type: ignore[arg-type]
    assert ssvc.derive_exploitation(kev=False, epss=0.9, **kwargs) == "poc"  # type: ignore[arg-type]
    assert ssvc.derive_exploitation(kev=False, epss=0.01, **kwargs) == "none"  # type: ignore[arg-type]
    assert ssvc.derive_impact(criticality="low", sector="media", cii=False, rules=rules) == (
        "low",
        "low",
    )
    assert ssvc.derive_impact(criticality="low", sector="health", cii=True, rules=rules) == (
        "high",
        "high",
    )
    assert ssvc.derive_impact(criticality="critical", sector=None, cii=True, rules=rules)[1] == (
        "very_high"
    )
