"""Importing Shadowserver's schema: checked whole before it replaces the installed copy, and
audited. (The audited import needs the database: it runs on SQLite and PostgreSQL.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app
from certnet.config import Settings, get_settings
from certnet.core.access import Principal
from certnet.core.audit import verify
from certnet.core.errors import Invalid, NotFound
from certnet.core.models import AuditEntry
from certnet.feeds.parsers import schema_store
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from tests.shared_data import shadowserver_file

OPERATOR = Principal.system("test-operator")


def minimal_schema(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "constant_fields": {
            "classification.identifier": "accessible-http",
            "classification.taxonomy": "other",
            "classification.type": "other",
        },
        "feed_name": "Accessible-HTTP",
        "file_name": "scan_http",
        "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"]],
        "optional_fields": [["source.ip", "ip", "validate_ip"]],
    }
    report.update(changes)
    return {"_meta": {"date_created": "2026-01-01T00:00:00Z"}, "scan_http": report}


def write(tmp_path: Path, document: Any, name: str = "intelmq.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), "utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"optional_fields": [["source.ip", "ip", "validate_ipx"]]},
            "unknown conversion 'validate_ipx'",
        ),
        (
            {"optional_fields": [["source.nonsense", "ip"]]},
            "'source.nonsense' is not a harmonised field",
        ),
        (
            {"constant_fields": {"classification.taxonomy": "botnets"}},
            "'botnets' is not an RSIT class",
        ),
        ({"optional_fields": "ip"}, "must be a list"),
        ({"optional_fields": [["source.ip"]]}, "a mapping is [field, column"),
    ],
)
def test_a_schema_certnet_cannot_follow_is_refused_naming_the_problem(
    changes: dict[str, Any], problem: str
) -> None:
    data = json.dumps(minimal_schema(**changes)).encode()
    with pytest.raises(Invalid) as caught:
        schema_store.parse_schema(data)
    assert any(problem in e.reason for e in caught.value.errors), caught.value.errors
    assert all(e.field.startswith("scan_http") for e in caught.value.errors)


def test_not_json_is_refused() -> None:
    with pytest.raises(Invalid, match="not JSON"):
        schema_store.parse_schema(b"{")
    with pytest.raises(Invalid, match="no report types"):
        schema_store.parse_schema(b'{"_meta": {}}')


def test_the_published_schema_is_accepted_whole(
    shadowserver_schema: schema_store.ShadowserverSchema,
) -> None:
    assert len(shadowserver_schema.reports) == 170
    assert shadowserver_schema.created == "2026-03-24T15:31:20Z"
    # Reports are known by their file-name code; the schema's own key is an alias.
    assert shadowserver_schema.resolve("event_sinkhole_http").report_type == "event4_sinkhole_http"
    assert shadowserver_schema.type_from_filename("2024-07-04-dns_openresolver-1-a.csv") is None
    assert (
        shadowserver_schema.type_from_filename("/in/2020-04-03-scan_ics-sample-asn-delayed.csv")
        == "scan_ics"
    )


def test_nothing_installed_says_how_to_import(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="certnet feeds schema import"):
        schema_store.installed_schema(settings=Settings(var_dir=tmp_path))


def test_import_installs_audits_and_keeps_the_old_copy_on_refusal(
    session: Session, tmp_path: Path
) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    first = write(tmp_path, minimal_schema())
    installed = schema_store.import_schema(
        session=session, principal=OPERATOR, settings=settings, source=first
    )
    assert set(installed.reports) == {"scan_http"}
    assert schema_store.installed_schema(settings=settings).sha256 == installed.sha256

    bad = write(tmp_path, minimal_schema(optional_fields=[["source.ip", "ip", "nope"]]), "b.json")
    with pytest.raises(Invalid):
        schema_store.import_schema(
            session=session, principal=OPERATOR, settings=settings, source=bad
        )
    assert schema_store.installed_schema(settings=settings).sha256 == installed.sha256

    newer = write(tmp_path, json.loads(shadowserver_file("intelmq.json").read_text()), "new.json")
    schema_store.import_schema(session=session, principal=OPERATOR, settings=settings, source=newer)
    assert len(schema_store.installed_schema(settings=settings).reports) == 170

    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "feeds.schema.import")
        .order_by(AuditEntry.seq)
    ).all()
    assert len(entries) == 2
    assert entries[0].after is not None
    assert entries[0].after["report_types"] == 1
    assert entries[1].before == {"sha256": installed.sha256}
    assert verify(session=session).ok


def test_cli_imports_and_shows_the_schema(
    cli_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTNET_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    runner = CliRunner()
    missing = runner.invoke(app, ["feeds", "schema", "show"])
    assert missing.exit_code == 1
    assert "certnet feeds schema import" in missing.output

    result = runner.invoke(
        app, ["feeds", "schema", "import", str(shadowserver_file("intelmq.json"))]
    )
    assert result.exit_code == 0, result.output
    assert "imported 170 report types" in result.output

    shown = runner.invoke(app, ["feeds", "schema", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {r["report_type"]: r for r in json.loads(shown.stdout)}
    assert rows["scan_ssl_poodle"]["type"] == "weak-crypto"
    assert ShadowserverParser.installed().schema.resolve("scan_http").feed_name == "Accessible-HTTP"

    broken = write(tmp_path, minimal_schema(optional_fields=[["source.ip", "ip", "nope"]]))
    refused = runner.invoke(app, ["feeds", "schema", "import", str(broken)])
    assert refused.exit_code == 2
    assert "unknown conversion 'nope'" in refused.output
