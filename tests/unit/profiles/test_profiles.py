"""Profiles as data: every shipped file loads and is consistent, the Pakistan profile matches
the CERT Rules 2023, errors name what is wrong, and operators can add their own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from certnet.config import get_settings
from certnet.core.errors import Invalid, NotFound
from certnet.profiles import service
from certnet.profiles.schemas import Basis, Profile

SHIPPED = sorted(service.BUILTIN.glob("*.toml"))


def _raw(profile_id: str) -> str:
    return (service.BUILTIN / f"{profile_id}.toml").read_text(encoding="utf-8")


def test_the_three_profiles_ship() -> None:
    assert {p.stem for p in SHIPPED} >= {"pk_cert_rules_2023", "eu_nis2", "in_certin_2022"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_profile_loads_and_is_consistent(path: Path) -> None:
    profile = service.load_file(path)
    assert profile.id == path.stem, "a profile is found by its file name, so they must agree"
    for group in (profile.tiers, profile.sectors, profile.regions, profile.clocks):
        ids = [item.id for item in group]
        assert len(ids) == len(set(ids))
    tops = [t for t in profile.tiers if not t.parents]
    assert len(tops) == 1
    assert profile.clocks
    # A tier that serves one province needs provinces to choose from.
    if any(t.requires_province for t in profile.tiers):
        assert profile.regions
    assert profile.cii.grades


def test_profile_ids_are_unique_across_files() -> None:
    ids = [service.load_file(p).id for p in SHIPPED]
    assert len(ids) == len(set(ids))
    assert service.available() == sorted(ids)


def test_pakistan_tiers_follow_the_rules() -> None:
    pk = service.load("pk_cert_rules_2023")
    parents = {t.id: set(t.parents) for t in pk.tiers}
    assert parents == {
        "national": set(),
        "national_soc": {"national"},
        "government": {"national"},
        "federal": {"government"},
        "provincial": {"government"},
        "sectoral": {"government", "national"},
        "cii": {"sectoral", "national"},
        "organisational": {"sectoral", "federal", "provincial", "cii"},
    }
    for single in ("national", "national_soc", "government"):
        tier = pk.tier(single)
        assert tier is not None
        assert tier.max_count == 1
    provincial, sectoral = pk.tier("provincial"), pk.tier("sectoral")
    assert provincial is not None
    assert provincial.requires_province
    assert sectoral is not None
    assert sectoral.requires_sector
    assert pk.reporting_line == (
        "organisation → sectoral / federal / provincial CERT → Government CERT → National CERT"
    )


def test_pakistan_regions_and_regulators() -> None:
    pk = service.load("pk_cert_rules_2023")
    regions = {r.name for r in pk.regions}
    assert {
        "Punjab",
        "Sindh",
        "Khyber Pakhtunkhwa",
        "Balochistan",
        "Azad Jammu and Kashmir",
        "Gilgit-Baltistan",
    } <= regions
    regulators = " ".join(s.regulator or "" for s in pk.sectors)
    for regulator in ("PTA", "SBP", "NEPRA", "OGRA", "PEMRA", "FBR", "Ministry of Defence"):
        assert regulator in regulators
    sector = pk.sector("defence")
    assert sector is not None
    assert sector.regulator == "Ministry of Defence"


def test_pakistan_deadlines_are_policy_not_law() -> None:
    # The Rules publish no reporting deadline: every clock must say it is policy.
    pk = service.load("pk_cert_rules_2023")
    assert {c.basis for c in pk.clocks} == {Basis.POLICY}
    assert pk.cii.review_interval_months == 12
    assert pk.cii.review_basis is Basis.LAW
    assert pk.cii.grades_basis is Basis.POLICY


def test_nis2_clocks_are_article_23() -> None:
    nis2 = service.load("eu_nis2")
    clocks = {c.id: c for c in nis2.clocks}
    assert (clocks["early_warning"].hours, clocks["early_warning"].basis) == (24, Basis.LAW)
    assert "23(4)(a)" in clocks["early_warning"].source
    assert clocks["incident_notification"].hours == 72
    assert "23(4)(b)" in clocks["incident_notification"].source
    assert clocks["final_report"].hours == 720
    assert "23(4)(d)" in clocks["final_report"].source
    assert "from the notification" in clocks["final_report"].source
    assert all(c.basis is Basis.LAW for c in nis2.clocks)
    assert nis2.cii.grades == ["essential", "important"]
    assert nis2.cii.review_interval_months == 24
    assert not nis2.regions
    assert len(nis2.sectors) == 18  # eleven of Annex I, seven of Annex II


def test_certin_six_hour_clock() -> None:
    india = service.load("in_certin_2022")
    assert [(c.id, c.hours, c.basis) for c in india.clocks] == [("report_to_certin", 6, Basis.LAW)]
    assert "70B(6)" in india.clocks[0].source
    assert any("70B" in basis for basis in india.legal_basis)
    assert {t.id for t in india.tiers} == {"national", "sectoral", "state", "organisational"}
    finance = india.sector("finance")
    assert finance is not None
    assert india.tier("state") is not None
    assert india.region("maharashtra") is not None
    # The 180-day log retention is a fact of the directions, kept as a comment, not a clock.
    assert "180 days" in _raw("in_certin_2022")


def _write(folder: Path, profile_id: str, text: str) -> Path:
    path = folder / f"{profile_id}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_profile_names_the_field(tmp_path: Path) -> None:
    data = _raw("eu_nis2").replace("hours = 72\n", "hours = -72\n")
    path = _write(tmp_path, "broken", data)
    with pytest.raises(Invalid) as caught:
        service.load_file(path)
    assert [e.field for e in caught.value.errors] == ["clocks.1.hours"]
    assert "broken.toml" in caught.value.detail


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    text = _raw("in_certin_2022").replace('designated_by = "the appropriate Government', 'x = "')
    path = _write(tmp_path, "nofield", text)
    with pytest.raises(Invalid) as caught:
        service.load_file(path)
    fields = {e.field for e in caught.value.errors}
    assert "cii.designated_by" in fields
    assert "cii.x" in fields  # unknown keys are refused too, so typos do not pass silently


def test_a_tier_with_an_unknown_parent_is_invalid(tmp_path: Path) -> None:
    text = _raw("eu_nis2").replace('parents = ["national_csirt"]', 'parents = ["ministry"]')
    with pytest.raises(Invalid) as caught:
        service.load_file(_write(tmp_path, "orphan", text))
    assert "ministry" in caught.value.errors[0].reason


def test_bad_toml_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        service.load_file(_write(tmp_path, "garbled", 'id = "x\n'))
    assert "not valid TOML" in caught.value.errors[0].reason


def test_an_unknown_profile_lists_the_available_ones() -> None:
    with pytest.raises(NotFound) as caught:
        service.load("atlantis_2030")
    message = str(caught.value)
    assert "atlantis_2030" in message
    for profile_id in ("pk_cert_rules_2023", "eu_nis2", "in_certin_2022"):
        assert profile_id in message


def test_an_operator_folder_adds_and_overrides_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = _raw("eu_nis2").replace('id = "eu_nis2"', 'id = "xx_national"')
    _write(tmp_path, "xx_national", own)
    stricter = _raw("eu_nis2").replace("hours = 72\n", "hours = 48\n")
    _write(tmp_path, "eu_nis2", stricter)
    monkeypatch.setenv("CERTNET_PROFILE_DIRS", str(tmp_path))
    service.load.cache_clear()
    assert "xx_national" in service.available()
    assert service.load("xx_national").id == "xx_national"
    notification = next(
        c for c in service.load("eu_nis2").clocks if c.id == "incident_notification"
    )
    assert notification.hours == 48, "the operator's folder comes before the shipped profiles"


def test_the_active_profile_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert service.active().id == "pk_cert_rules_2023"
    monkeypatch.setenv("CERTNET_PROFILE", "in_certin_2022")
    get_settings.cache_clear()
    assert service.active().id == "in_certin_2022"


def test_profiles_are_frozen() -> None:
    profile = service.load("eu_nis2")
    assert isinstance(profile, Profile)
    with pytest.raises(ValueError, match="frozen"):
        profile.id = "changed"  # type: ignore[misc]
