"""Feed sources over the API (problem+json for bad input, only CERT staff may configure) and
the CLI: ``certnet feeds sources``, ``certnet feeds collect``, ``certnet feeds ingest
--mapping``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app as cli
from certnet.core.models import AuditEntry
from certnet.feeds import cli_sources, source_api
from tests.factories import Network, build_network

MAPPING = """
[feed]
report_type = "partner-blocklist"
[constants]
"classification.taxonomy" = "other"
"classification.type" = "blocklist"
[fields]
"source.ip" = { from = "ip", required = true }
"time.source" = { from = "seen", format = "iso" }
"""


@pytest.fixture
def api(client: TestClient) -> TestClient:
    # The lead registers the router in main.py; until then the test mounts it itself.
    paths = {getattr(r, "path", "") for r in client.app.routes}  # type: ignore[attr-defined]
    if "/api/v1/feeds/sources" not in paths:
        client.app.include_router(source_api.router, prefix="/api/v1")  # type: ignore[attr-defined]
    return client


def _auth(net: Network, session: Session, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {net.token(session, user)}"}


def test_sources_api_add_list_get_remove(
    api: TestClient, session: Session, net: Network, tmp_path: Path
) -> None:
    headers = _auth(net, session, "national")
    body = {
        "name": "shadowserver-mail",
        "kind": "imap",
        "location": "mail.cert.example.pk",
        "parser": "stix",
        "username": "reports",
        "secret_env": "CERTNET_FEED_MAIL_PASSWORD",
        "options": {"subject": "Shadowserver", "security": "starttls"},
        "every_minutes": 30,
    }
    created = api.post("/api/v1/feeds/sources", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["options"] == {"subject": "Shadowserver", "security": "starttls"}
    listed = api.get("/api/v1/feeds/sources", headers=headers).json()
    assert [s["name"] for s in listed] == ["shadowserver-mail"]
    one = api.get("/api/v1/feeds/sources/shadowserver-mail", headers=headers)
    assert one.json()["secret_env"] == "CERTNET_FEED_MAIL_PASSWORD"
    entries = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "feed_source")
    ).all()
    assert "feed_source.add" in entries
    assert api.delete("/api/v1/feeds/sources/shadowserver-mail", headers=headers).status_code == 204
    missing = api.get("/api/v1/feeds/sources/shadowserver-mail", headers=headers)
    assert missing.status_code == 404


def test_sources_api_refuses_bad_input_and_constituents(
    api: TestClient, session: Session, net: Network
) -> None:
    headers = _auth(net, session, "national")
    bad = api.post(
        "/api/v1/feeds/sources",
        json={"name": "x", "kind": "http", "location": "https://x.example/r", "parser": "nope"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "unknown parser 'nope'" in bad.text
    secret = api.post(
        "/api/v1/feeds/sources",
        json={
            "name": "y",
            "kind": "http",
            "location": "https://x.example/r",
            "secret_env": "my password",
        },
        headers=headers,
    )
    assert secret.status_code == 422
    assert "secret_env" in secret.text
    constituent = api.post(
        "/api/v1/feeds/sources",
        json={"name": "z", "kind": "folder", "location": "/srv/feeds", "parser": "stix"},
        headers=_auth(net, session, "bankadmin"),
    )
    assert constituent.status_code == 403
    assert api.get("/api/v1/feeds/sources", headers=_auth(net, session, "bankadmin")).json() == []


def test_cli_sources_collect_and_ingest_with_a_mapping(
    cli_database: Engine, tmp_path: Path
) -> None:
    with Session(cli_database) as session:
        build_network(session)
        session.commit()
    run = CliRunner().invoke
    mapping = tmp_path / "partner.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    report = tmp_path / "partner.csv"
    report.write_text("ip,seen,list\n192.0.2.1,2026-11-28T10:00:00Z,botnet\nnope,,\n")

    ingested = run(cli, ["feeds", "ingest", str(report), "--mapping", str(mapping), "--json"])
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.output)
    assert (summary["report_type"], summary["rows"], summary["stored"], summary["quarantined"]) == (
        "partner-blocklist",
        2,
        1,
        1,
    )
    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text(MAPPING.replace('"source.ip"', '"source.ipv4"'), encoding="utf-8")
    refused = run(cli, ["feeds", "ingest", str(report), "--mapping", str(bad_mapping)])
    assert refused.exit_code == 2
    assert "source.ipv4" in _flat(refused.output)

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    added = run(
        cli_sources.sources,
        [
            "add",
            "drop",
            "--kind",
            "folder",
            "--location",
            str(inbox),
            "--parser",
            "mapping",
            "--mapping",
            str(mapping),
            "--every",
            "15",
        ],
    )
    assert added.exit_code == 0, added.output
    wrong = run(cli_sources.sources, ["add", "bad name", "--kind", "folder", "--location", "/x"])
    assert wrong.exit_code == 2
    assert "name" in _flat(wrong.output)
    (inbox / "day2.csv").write_text("ip,seen\n192.0.2.7,2026-11-29T10:00:00Z\n")
    collect = CliRunner().invoke(_collect_app(), ["drop"])
    assert collect.exit_code == 0, collect.output
    assert "day2.csv ingested as run" in _flat(collect.output)
    assert "1 stored" in _flat(collect.output)
    again = CliRunner().invoke(_collect_app(), ["drop"])
    assert "drop: nothing new" in _flat(again.output)
    listed = run(cli_sources.sources, ["list", "--json"])
    assert json.loads(listed.output)[0]["every_minutes"] == 15
    assert run(cli_sources.sources, ["remove", "drop"]).exit_code == 0
    gone = run(cli_sources.sources, ["remove", "drop"])
    assert gone.exit_code != 0
    assert "not found" in _flat(gone.output)


def _collect_app() -> typer.Typer:
    """``collect`` alone (the lead registers it as ``certnet feeds collect``)."""
    app = typer.Typer()
    app.command()(cli_sources.collect)
    return app


def _flat(text: str) -> str:
    """The output with its lines joined: the console wraps long lines at its width."""
    return " ".join(text.split())
