"""The risk story end to end through the services, on SQLite and PostgreSQL: KEV, EPSS, CVE
records and a vendor CSAF with VEX; two organisations' assets (a CycloneDX SBOM, a CSV);
the right exposures with the right SSVC outcomes and due dates; the register rolls up."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.core import audit, clock
from certnet.core.errors import Invalid
from certnet.risk import service
from certnet.risk.models import (
    AffectedProduct,
    Asset,
    Exposure,
    ExposureState,
    Measure,
    MeasureState,
    Vulnerability,
)
from tests.factories import Network, build_network
from tests.integration.risk.support import KEV_FILE, cve, kev_due, sample, shared


@pytest.fixture
def net(session: Session) -> Network:
    return build_network(session)


def _load(session: Session, net: Network) -> None:
    analyst = net.principal(session, "national")
    kev = service.import_file(session=session, principal=analyst, content=shared(KEV_FILE))
    assert kev.kind == "kev"
    assert kev.rejected == 0
    assert kev.imported > 1000
    epss = service.import_file(
        session=session, principal=analyst, content=sample("epss.csv"), filename="epss.csv"
    )
    assert (epss.kind, epss.updated, epss.imported) == ("epss", 3, 0)
    assert [(r.record, r.field) for r in epss.rejections] == [("CVE-2099-0001", "line 6: epss")]
    for cve_id in ("CVE-2024-3400", "CVE-2023-46604", "CVE-2021-44228"):
        done = service.import_file(session=session, principal=analyst, content=cve(cve_id))
        assert (done.kind, done.updated, done.rejected) == ("cve", 1, 0)
    vex = service.import_file(
        session=session, principal=analyst, content=sample("example_vendor_vex.json")
    )
    assert vex.kind == "csaf"
    # CVE-2024-3400's known_not_affected has no justification: rejected, naming the field.
    assert [(r.record, r.field) for r in vex.rejections] == [
        ("CVE-2024-3400", "vulnerabilities[2].product_status.known_not_affected")
    ]
    assert (vex.imported, vex.updated) == (1, 1)
    sbp = net.principal(session, "sbp")
    bank = service.import_assets(
        session=session,
        principal=sbp,
        organisation_id=net.orgs["First Bank"].id,
        content=sample("first_bank.cdx.json"),
        filename="first_bank.cdx.json",
    )
    assert (bank.format, bank.created) == ("cyclonedx", 4)
    pta = net.principal(session, "pta")
    telco = service.import_assets(
        session=session,
        principal=pta,
        organisation_id=net.orgs["Telco One"].id,
        content=sample("telco_one.csv"),
        filename="telco_one.csv",
    )
    assert (telco.format, telco.created) == ("csv", 2)


def _exposures(session: Session) -> dict[tuple[str, str, str | None], Exposure]:
    rows = session.execute(
        select(Exposure, Asset.name, Asset.version, Vulnerability.identifier)
        .join(Asset, Asset.id == Exposure.asset_id)
        .join(Vulnerability, Vulnerability.id == Exposure.vulnerability_id)
    ).all()
    return {(ident, name, version): exp for exp, name, version, ident in rows}


def test_intelligence_and_assets_give_the_right_exposures_ssvc_and_due_dates(
    session: Session, net: Network
) -> None:
    _load(session, net)
    today = clock.now().date()
    found = _exposures(session)
    widget_id = "EXV-SA-2026-001#EXV-2026-001"
    assert set(found) == {
        ("CVE-2024-3400", "Edge firewall", "10.2.5"),
        ("CVE-2023-46604", "activemq-client", "5.17.1"),
        ("CVE-2023-46604", "activemq-client", "5.18.2"),
        (widget_id, "widget", "2.0.0"),
    }
    # The vendor's VEX suppresses 5.18.2, with its justification; 5.18.3 is fixed upstream.
    suppressed = found[("CVE-2023-46604", "activemq-client", "5.18.2")]
    assert suppressed.state is ExposureState.SUPPRESSED
    assert suppressed.suppressed_by is not None
    assert "vulnerable_code_not_in_execute_path" in suppressed.suppressed_by

    firewall = found[("CVE-2024-3400", "Edge firewall", "10.2.5")]
    assert firewall.state is ExposureState.ACTIVE
    # KEV → active; CISA's SSVC says automatable and total; an open, high-criticality asset.
    assert (firewall.exploitation, firewall.automatable, firewall.technical_impact) == (
        "active",
        "yes",
        "total",
    )
    assert (firewall.coordinator_decision, firewall.deployer_decision) == ("act", "immediate")
    measure = session.scalar(select(Measure).where(Measure.exposure_id == firewall.id))
    assert measure is not None
    assert measure.state is MeasureState.OPEN
    # KEV's due date is sooner than "immediate" (3 days): it wins.
    assert (measure.due_on, measure.due_basis) == (kev_due("CVE-2024-3400"), "kev")

    old_amq = found[("CVE-2023-46604", "activemq-client", "5.17.1")]
    # C:L/I:H → partial; First Bank is CII (raises medium criticality to high).
    assert (old_amq.technical_impact, old_amq.human_impact) == ("partial", "high")
    assert (old_amq.coordinator_decision, old_amq.deployer_decision) == ("act", "out_of_cycle")

    widget = found[(widget_id, "widget", "2.0.0")]
    assert (widget.exploitation, widget.automatable) == ("none", "no")
    assert (widget.coordinator_decision, widget.deployer_decision) == ("track*", "scheduled")
    widget_measure = session.scalar(select(Measure).where(Measure.exposure_id == widget.id))
    assert widget_measure is not None
    assert widget_measure.due_on == today + timedelta(days=60)
    # A suppressed exposure calls for no measure.
    assert session.scalar(select(Measure).where(Measure.exposure_id == suppressed.id)) is None


def test_register_rolls_up_by_what_each_principal_may_see(session: Session, net: Network) -> None:
    _load(session, net)
    on = clock.now().date()
    nation = service.register(
        session=session, principal=net.principal(session, "national"), level="sector", on=on
    )
    assert nation.total.by_priority == {
        "immediate": 1,
        "out_of_cycle": 1,
        "scheduled": 1,
        "defer": 0,
    }
    assert {r.key: r.total for r in nation.rows} == {"banking": 2, "telecom": 1}
    # Both KEV-driven measures are past the catalogue's due dates.
    assert nation.total.overdue == 2
    banking = service.register(
        session=session, principal=net.principal(session, "sbp"), level="organisation", on=on
    )
    assert [(r.label, r.total) for r in banking.rows] == [("First Bank", 2)]
    telco = service.register(
        session=session, principal=net.principal(session, "telco"), level="nation", on=on
    )
    assert telco.total.total == 1
    taken = service.take_snapshot(session=session, principal=net.principal(session, "admin"), on=on)
    assert taken == 2
    points = service.trend(
        session=session, principal=net.principal(session, "national"), until=on, days=7
    )
    assert [(p.day, p.total, p.overdue) for p in points] == [(on, 3, 2)]


def test_reimport_updates_never_duplicates_and_bad_records_are_named(
    session: Session, net: Network
) -> None:
    _load(session, net)
    analyst = net.principal(session, "national")
    before = session.scalar(select(func.count(Vulnerability.id)))
    statements = session.scalar(select(func.count(AffectedProduct.id)))
    exposures = session.scalar(select(func.count(Exposure.id)))
    again = service.import_file(session=session, principal=analyst, content=cve("CVE-2024-3400"))
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 1)
    vex = service.import_file(
        session=session, principal=analyst, content=sample("example_vendor_vex.json")
    )
    assert vex.unchanged == 2
    broken = json.loads(cve("CVE-2024-5910"))
    broken["containers"]["cna"]["affected"][0]["versions"][0]["status"] = "maybe"
    batch = json.dumps([broken, json.loads(cve("CVE-2025-0282"))]).encode()
    mixed = service.import_file(session=session, principal=analyst, content=batch)
    assert [(r.record, r.field) for r in mixed.rejections] == [
        ("CVE-2024-5910", "containers.cna.affected.0.versions.0.status")
    ]
    assert mixed.updated == 1  # CVE-2025-0282 was known from KEV; its record fills it in
    assert session.scalar(select(func.count(Vulnerability.id))) == before
    assert session.scalar(select(func.count(AffectedProduct.id))) > statements
    assert session.scalar(select(func.count(Exposure.id))) == exposures
    with pytest.raises(Invalid) as wrong:
        service.import_file(
            session=session,
            principal=analyst,
            content=b'{"title": "KEV", "catalogVersion": 1, "dateReleased": "2025-08-25T17:04:19Z",'
            b' "count": 0, "vulnerabilities": []}',
        )
    assert wrong.value.errors[0].field == "catalogVersion"
    assert audit.verify(session=session).ok


def test_organisations_affected_targets_exactly_the_matching_organisations(
    session: Session, net: Network
) -> None:
    _load(session, net)
    admin = net.principal(session, "national")
    ref = service.ProductRef(
        purl="pkg:maven/org.apache.activemq/activemq-client", versions="vers:semver/<5.18.3"
    )
    found = service.organisations_affected(session, admin, [ref])
    assert [(o.organisation_name, o.cert_id) for o in found] == [
        ("First Bank", net.certs["sbpcert"].id)
    ]
    assert sorted(a.version or "" for a in found[0].assets) == ["5.17.1", "5.18.2"]
    # The telecom CERT does not see First Bank's assets.
    assert service.organisations_affected(session, net.principal(session, "pta"), [ref]) == []
    with pytest.raises(Invalid) as bad:
        service.organisations_affected(session, admin, [service.ProductRef(cpe="cpe:2.3:a:x")])
    assert bad.value.errors[0].field == "products[0].cpe"


def test_broken_sbom_names_the_component(session: Session, net: Network) -> None:
    doc = json.loads(sample("first_bank.cdx.json"))
    doc["dependencies"][1]["dependsOn"] = ["nowhere"]
    with pytest.raises(Invalid) as bad:
        service.import_assets(
            session=session,
            principal=net.principal(session, "sbp"),
            organisation_id=net.orgs["First Bank"].id,
            content=json.dumps(doc).encode(),
        )
    assert bad.value.errors[0].field == "dependencies[1].dependsOn"
    assert "widget" in bad.value.errors[0].reason
    assert session.scalar(select(func.count(Asset.id))) == 0
