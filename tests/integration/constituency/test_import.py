"""Bulk import of the constituency: all or nothing, every bad row named, idempotent."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certnet.constituency import importer
from certnet.constituency.models import Contact, Organisation, Resource
from certnet.core.errors import Forbidden, Invalid
from certnet.core.models import AuditEntry
from certnet.core.tlp import Tlp
from tests.factories import SYSTEM, Network, build_network

HEADER = (
    "organisation,cert,sector,province,cii_ministry,cii_grade,cii_designated_on,"
    "cii_next_review,resources,contact_name,contact_role,contact_email,contact_phone,"
    "contact_valid_until,contact_tlp\n"
)
GOOD_CSV = HEADER + (
    "Indus Power,ptacert,power,punjab,,,,,198.18.0.0/24 AS64510,Indus SOC,security,"
    "soc@induspower.example.pk,+92 42 111 000,,GREEN\n"
    "Indus Power,,,,,,,,induspower.example.pk;2001:db8:300::/48,Indus Abuse,abuse,"
    "abuse@induspower.example.pk,,,\n"
    "Karachi Grid,sbpcert,power,sindh,Ministry of Energy,A,2026-02-01,,198.18.1.0/24,,,,,,\n"
)


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Organisation)) or 0,
        session.scalar(select(func.count()).select_from(Resource)) or 0,
        session.scalar(select(func.count()).select_from(Contact)) or 0,
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def _import(
    session: Session, content: str, filename: str = "orgs.csv", **kw: object
) -> importer.ImportReport:
    return importer.import_constituency(
        session=session,
        principal=kw.pop("principal", SYSTEM),  # type: ignore[arg-type]
        content=content.encode(),
        filename=filename,
        **kw,  # type: ignore[arg-type]
    )


def _errors(session: Session, content: str, filename: str = "orgs.csv") -> dict[str, str]:
    before = _counts(session)
    with pytest.raises(Invalid) as caught:
        _import(session, content, filename)
    assert _counts(session) == before, "a failed import must write nothing"
    assert "nothing was written" in caught.value.detail
    return {e.field: e.reason for e in caught.value.errors}


def test_csv_creates_organisations_claims_and_contacts(session: Session) -> None:
    net = build_network(session)
    report = _import(session, GOOD_CSV)
    assert (report.format, report.dry_run) == ("csv", False)
    assert report.organisations_created == 2
    assert report.resources_added == 5
    assert report.contacts_added == 2
    indus = session.scalar(select(Organisation).where(Organisation.name == "Indus Power"))
    assert indus is not None
    assert (indus.cert_id, indus.sector, indus.province) == (
        net.certs["ptacert"].id,
        "power",
        "punjab",
    )
    claims = set(
        session.scalars(select(Resource.value).where(Resource.organisation_id == indus.id))
    )
    assert claims == {"198.18.0.0/24", "AS64510", "induspower.example.pk", "2001:db8:300::/48"}
    contacts = {
        c.email: c
        for c in session.scalars(select(Contact).where(Contact.organisation_id == indus.id))
    }
    assert contacts["soc@induspower.example.pk"].tlp is Tlp.GREEN
    assert contacts["abuse@induspower.example.pk"].tlp is Tlp.AMBER
    grid = session.scalar(select(Organisation).where(Organisation.name == "Karachi Grid"))
    assert grid is not None
    assert grid.cii
    assert grid.cii_grade == "A"
    # The profile's review interval fills in the next review when the file leaves it out.
    assert grid.cii_next_review is not None
    assert grid.cii_next_review > date(2026, 2, 1)
    # Through the services: each change is on the audit chain.
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [e.action for e in entries].count("organisation.create") >= 2
    # The claims of each organisation are one entry that lists every one of them.
    listed = {
        claim["value"]
        for e in entries
        if e.action == "resource.add_many" and e.object_id == str(indus.id)
        for claim in (e.after or {})["claims"]
    }
    assert listed == claims


def test_reimport_changes_nothing(session: Session) -> None:
    build_network(session)
    _import(session, GOOD_CSV)
    after_first = _counts(session)
    again = _import(session, GOOD_CSV)
    assert _counts(session) == after_first
    assert again.organisations_unchanged == 2
    assert (again.organisations_created, again.organisations_updated) == (0, 0)
    assert (again.resources_added, again.resources_unchanged) == (0, 5)
    assert (again.contacts_added, again.contacts_updated, again.contacts_unchanged) == (0, 0, 2)


def test_dry_run_reports_and_writes_nothing(session: Session) -> None:
    build_network(session)
    before = _counts(session)
    report = _import(session, GOOD_CSV, dry_run=True)
    assert report.dry_run
    assert (report.organisations_created, report.resources_added, report.contacts_added) == (
        2,
        5,
        2,
    )
    assert _counts(session) == before
    # The real run after the dry run does exactly what the dry run said.
    real = _import(session, GOOD_CSV)
    assert real.model_dump(exclude={"dry_run"}) == report.model_dump(exclude={"dry_run"})


def test_update_changes_stated_fields_only(session: Session) -> None:
    net = build_network(session)
    bank = net.orgs["First Bank"]
    csv_text = HEADER + (
        "first bank,,,sindh,,,,,203.0.113.0/24 192.0.2.128/25,First Bank SOC,security,"
        "soc@first-bank.example.pk,+92 21 000 111,,\n"
    )
    report = _import(session, csv_text)
    assert report.organisations_updated == 1
    assert report.organisations[0].changed_fields == ["province"]
    assert report.organisations[0].resources_added == ["192.0.2.128/25"]
    assert report.contacts_updated == 1
    session.refresh(bank)
    assert (bank.province, bank.sector, bank.cii) == ("sindh", "banking", True)
    soc = session.scalar(select(Contact).where(Contact.organisation_id == bank.id))
    assert soc is not None
    assert soc.phone == "+92 21 000 111"
    assert soc.tlp is Tlp.AMBER  # not stated in the file: left alone


def test_moving_an_organisation_to_another_cert(session: Session) -> None:
    net = build_network(session)
    csv_text = HEADER + "Telco One,sbpcert,,,,,,,,,,,,,\n"
    report = _import(session, csv_text)
    assert report.organisations[0].changed_fields == ["cert_id"]
    telco = net.orgs["Telco One"]
    session.refresh(telco)
    assert telco.cert_id == net.certs["sbpcert"].id
    owners = set(
        session.scalars(select(Resource.owner_cert_id).where(Resource.organisation_id == telco.id))
    )
    assert owners == {net.certs["sbpcert"].id}


def test_every_bad_row_is_named_by_line_and_field(session: Session) -> None:
    build_network(session)
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    csv_text = HEADER + (
        "Good One,ptacert,telecom,,,,,,198.18.5.0/24,,,,,,\n"  # line 2: fine
        "Bad Cidr,ptacert,telecom,,,,,,198.18.6.1/24,,,,,,\n"  # 3: host bits set
        "Bad Asn,ptacert,telecom,,,,,,AS99999999999,,,,,,\n"  # 4
        "Bad Domain,ptacert,telecom,,,,,,bad_domain!.pk,,,,,,\n"  # 5
        "No Cert,nocert,telecom,,,,,,,,,,,,\n"  # 6
        "No Sector,ptacert,fishing,,,,,,,,,,,,\n"  # 7
        "Taken,ptacert,telecom,,,,,,203.0.113.0/24,,,,,,\n"  # 8: First Bank's
        "Twice A,ptacert,telecom,,,,,,198.18.7.0/24,,,,,,\n"  # 9
        "Twice B,ptacert,telecom,,,,,,198.18.7.0/24,,,,,,\n"  # 10: same prefix again
        "Bad Date,ptacert,telecom,,Ministry,A,2026-13-01,,,,,,,,\n"  # 11
        "Bad Mail,ptacert,telecom,,,,,,,Ops,security,not-an-email,,,\n"  # 12
        "Good One,ptacert,banking,,,,,,,,,,,,\n"  # 13: sector conflicts with line 2
        f"Old Contact,ptacert,telecom,,,,,,,Ops,security,ops@old.example.pk,,{yesterday},\n"
        "Bad Grade,ptacert,telecom,,Ministry,Z,2026-01-01,,,,,,,,\n"  # 15
        "Bad Role,ptacert,telecom,,,,,,,Ops,janitor,ops@role.example.pk,,,\n"  # 16
        "New Without Cert,,telecom,,,,,,,,,,,,\n"  # 17
        "Bad Province,ptacert,telecom,atlantis,,,,,,,,,,,\n"  # 18
        "Short,row\n"  # 19: wrong number of fields
    )
    errors = _errors(session, csv_text)
    assert set(errors) == {
        "line 3: resources",
        "line 4: resources",
        "line 5: resources",
        "line 6: cert",
        "line 7: sector",
        "line 8: resources",
        "line 10: resources",
        "line 11: cii_designated_on",
        "line 12: contact_email",
        "line 13: sector",
        "line 14: contact_valid_until",
        "line 15: cii_grade",
        "line 16: contact_role",
        "line 17: cert",
        "line 18: province",
        "line 19: row",
    }
    assert "198.18.6.1/24" in errors["line 3: resources"]
    assert "AS number" in errors["line 4: resources"]
    assert "domain" in errors["line 5: resources"]
    assert "unknown CERT 'nocert'" in errors["line 6: cert"]
    assert "fishing" in errors["line 7: sector"]
    assert "already claimed by another organisation" in errors["line 8: resources"]
    assert "claimed twice in the file" in errors["line 10: resources"]
    assert "line 2" in errors["line 13: sector"]
    assert "past" in errors["line 14: contact_valid_until"]
    assert "has 2 fields" in errors["line 19: row"]


def test_line_numbers_are_physical_lines(session: Session) -> None:
    build_network(session)
    # A quoted field spanning two lines, a blank line and a BOM: the bad row is on line 6.
    csv_text = (
        "\ufeff"
        + HEADER
        + (
            'Multi Line,ptacert,telecom,,,,,,"198.18.9.0/24\n198.18.10.0/24",,,,,,\n'
            "\n"
            "Fine,ptacert,telecom,,,,,,,,,,,,\n"
            "Broken,ptacert,telecom,,,,,,not/a/prefix,,,,,,\n"
        )
    )
    assert set(_errors(session, csv_text)) == {"line 6: resources"}


def test_wrong_columns_are_reported(session: Session) -> None:
    build_network(session)
    errors = _errors(session, "organisation,sectr,cert\nA Org,banking,sbpcert\n")
    assert "sectr" in errors["line 1: header"]
    assert "organisation" in _errors(session, "name,cert\nA Org,sbpcert\n")["line 1: header"]
    assert "empty" in _errors(session, "")["file"]


def test_not_utf8_is_refused(session: Session) -> None:
    build_network(session)
    with pytest.raises(Invalid) as caught:
        importer.import_constituency(
            session=session,
            principal=SYSTEM,
            content="organisation\nCafé Org\n".encode("latin-1"),
            filename="orgs.csv",
        )
    assert caught.value.errors[0].field == "file"
    assert "UTF-8" in caught.value.errors[0].reason


def _json_doc(net: Network) -> dict[str, object]:
    return {
        "organisations": [
            {
                "name": "Lahore Water",
                "cert": "punjabcert",
                "sector": "government",
                "province": "punjab",
                "cii": {
                    "ministry": "Ministry of Water",
                    "grade": "B",
                    "designated_on": "2026-03-01",
                },
                "resources": ["198.18.20.0/24", "AS64520", "water.example.pk"],
                "contacts": [
                    {"name": "Water SOC", "role": "security", "email": "soc@water.example.pk"}
                ],
            }
        ]
    }


def test_json_creates_and_is_idempotent(session: Session) -> None:
    net = build_network(session)
    document = json.dumps(_json_doc(net))
    report = _import(session, document, filename="orgs.json")
    assert (report.format, report.organisations_created, report.resources_added) == ("json", 1, 3)
    # Content decides when the name does not say: a bare list works too.
    bare = json.dumps(_json_doc(net)["organisations"])
    again = _import(session, bare, filename="upload")
    assert (again.format, again.organisations_unchanged, again.resources_unchanged) == (
        "json",
        1,
        3,
    )


def test_json_errors_name_the_path(session: Session) -> None:
    net = build_network(session)
    doc = _json_doc(net)
    entry = doc["organisations"][0]  # type: ignore[index]
    entry["resources"] = ["198.18.20.0/24", "300.1.1.0/24"]
    entry["contacts"][0]["email"] = "nope"
    entry["colour"] = "blue"
    doc["organisations"].append("not an object")  # type: ignore[attr-defined]
    doc["organisations"].append({"name": "X Org", "cert": "sbpcert", "sector": "mining"})  # type: ignore[attr-defined]
    errors = _errors(session, json.dumps(doc), filename="orgs.json")
    assert set(errors) == {
        "organisations[0].resources[1]",
        "organisations[0].contacts[0].email",
        "organisations[0].colour",
        "organisations[1]",
        "organisations[2].sector",
    }
    assert "300.1.1.0/24" in errors["organisations[0].resources[1]"]
    assert "not valid JSON" in _errors(session, "{nope", filename="orgs.json")["file"]


def test_importer_needs_rights_on_every_target_cert(session: Session) -> None:
    net = build_network(session)
    sbp = net.principal(session, "sbp")
    csv_text = HEADER + (
        "Own Bank,sbpcert,banking,,,,,,,,,,,,\n"
        "Other Telco,ptacert,telecom,,,,,,,,,,,,\n"  # ptacert is not under sbpcert
        "Telco One,,,sindh,,,,,,,,,,,\n"  # exists, not theirs
    )
    before = _counts(session)
    with pytest.raises(Invalid) as caught:
        _import(session, csv_text, principal=sbp)
    fields = {e.field for e in caught.value.errors}
    assert fields == {"line 3: cert", "line 4: organisation"}
    assert _counts(session) == before
    # A CERT's own constituency is theirs to import.
    ok = _import(session, HEADER + "Own Bank,sbpcert,banking,,,,,,,,,,,,\n", principal=sbp)
    assert ok.organisations_created == 1


def test_constituents_and_read_only_credentials_may_not_import(session: Session) -> None:
    net = build_network(session)
    with pytest.raises(Forbidden):
        _import(session, GOOD_CSV, principal=net.principal(session, "bankadmin"))
    with pytest.raises(Forbidden):
        _import(session, GOOD_CSV, principal=net.principal(session, "auditor"))
