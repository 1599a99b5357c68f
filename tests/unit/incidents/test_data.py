"""The incidents data files agree with each other, with RSIT and with the profiles."""

from __future__ import annotations

import pytest

from certnet.core.errors import Invalid
from certnet.incidents.rules import packaged_playbooks, packaged_rules, validate_rules
from certnet.incidents.service.taxonomy import (
    certin_type_for,
    certin_types,
    nis2_mapping,
    rsit_classes,
)
from certnet.profiles import service as profiles


def test_certin_has_its_twenty_types_and_every_rsit_type_maps_to_one() -> None:
    types = certin_types()
    assert len(types) == 20
    for cls, members in rsit_classes().items():
        for rsit_type in members:
            if cls in ("other", "test"):
                continue
            assert certin_type_for(rsit_type) in types, rsit_type


def test_nis2_mapping_covers_every_rsit_class() -> None:
    nis2 = nis2_mapping()
    assert set(nis2["root_cause_from_rsit"]) == set(rsit_classes())
    assert set(nis2["root_cause_from_rsit"].values()) <= set(nis2["root_causes"])
    assert set(nis2["significant"]) == {"low", "medium", "high", "critical"}


def test_feed_only_types_are_not_offered_to_reporters() -> None:
    assert "blocklist" not in rsit_classes()["other"]
    assert "phishing" in rsit_classes()["fraud"]


@pytest.mark.parametrize("profile_id", ["pk_cert_rules_2023", "eu_nis2", "in_certin_2022"])
def test_each_profile_has_rules_whose_stages_are_its_clocks(profile_id: str) -> None:
    rules = packaged_rules(profile_id)
    clocks = {c.id for c in profiles.load(profile_id).clocks}
    assert rules.stages
    assert set(rules.stages) <= clocks


def test_pakistan_stages_are_policy_not_law() -> None:
    profile = profiles.load("pk_cert_rules_2023")
    assert all(c.basis.value == "policy" for c in profile.clocks)
    assert packaged_rules("pk_cert_rules_2023").basis == "policy"


def test_playbooks_name_rsit_classes() -> None:
    assert set(packaged_playbooks()) <= set(rsit_classes())
    assert all(steps for steps in packaged_playbooks().values())


def test_bad_rules_name_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        validate_rules({"stages": ["initial_report"], "sectors_to_national": 1})
    assert [e.field for e in caught.value.errors] == ["rules.sectors_to_national"]
