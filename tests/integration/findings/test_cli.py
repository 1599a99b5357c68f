"""``certnet findings …`` on a real database file: list, show, answer, notify, and the
suppression rules; bad input exits non-zero naming the field."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from certnet.cli import app
from certnet.core.access import Principal
from certnet.db.session import unit_of_work
from certnet.feeds import service as feeds
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from tests.factories import build_network
from tests.integration.findings.conftest import DAY1, scan_http

runner = CliRunner()


@pytest.fixture
def database(cli_database: Engine, parser: ShadowserverParser) -> Engine:
    with unit_of_work(cli_database) as session:
        build_network(session)
        feeds.ingest(
            session=session,
            principal=Principal.system("test"),
            parser=parser,
            stream=io.BytesIO(scan_http([("203.0.113.10", 80), ("198.51.100.5", 443)], DAY1)),
            filename="2026-11-01-scan_http-pk-geo.csv",
        )
    return cli_database


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_show_answer_and_notify(database: Engine) -> None:
    listed = _json(["findings", "list", "--json"])
    assert isinstance(listed, list)
    assert {f["host"] for f in listed} == {"203.0.113.10", "198.51.100.5"}
    bank = next(f for f in listed if f["host"] == "203.0.113.10")
    mine = _json(["findings", "list", "--json", "--as", "bankadmin"])
    assert [f["host"] for f in mine] == ["203.0.113.10"]

    refused_notify = runner.invoke(app, ["findings", "notify", "--as", "bankadmin"])
    assert refused_notify.exit_code == 1
    assert "only CERT staff" in refused_notify.stderr
    notified = runner.invoke(app, ["findings", "notify"])
    assert notified.exit_code == 0, notified.output
    assert "2 notifications (2 mails) about 2 findings" in notified.stdout

    acked = runner.invoke(app, ["findings", "ack", str(bank["id"]), "--as", "bankadmin"])
    assert acked.exit_code == 0, acked.output
    assert "acknowledged" in acked.stdout
    fixed = runner.invoke(
        app, ["findings", "fixed", str(bank["id"]), "--note", "patched", "--as", "bankadmin"]
    )
    assert fixed.exit_code == 0, fixed.output
    shown = _json(["findings", "show", str(bank["id"]), "--json"])
    assert isinstance(shown, dict)
    assert shown["state"] == "fixed"
    assert [h["to_state"] for h in shown["history"]] == [
        "open",
        "notified",
        "acknowledged",
        "fixed",
    ]
    refused = runner.invoke(app, ["findings", "verify", str(bank["id"]), "--as", "bankadmin"])
    assert refused.exit_code == 1
    assert "only CERT staff" in refused.stderr
    missing = runner.invoke(app, ["findings", "show", "99999"])
    assert missing.exit_code == 1
    assert "finding 99999 not found" in missing.stderr


def test_suppress_list_and_lift(database: Engine) -> None:
    bad = runner.invoke(app, ["findings", "suppress", "--reason", "x y z", "--network", "nope"])
    assert bad.exit_code == 2
    assert "network" in bad.stderr
    none = runner.invoke(app, ["findings", "suppress", "--reason", "x y z"])
    assert none.exit_code == 2
    assert "organisation_id" in none.stderr
    added = _json(
        ["findings", "suppress", "--reason", "lab network", "--network", "203.0.113.0/24", "--json"]
    )
    assert isinstance(added, dict)
    assert added["network"] == "203.0.113.0/24"
    notified = runner.invoke(app, ["findings", "notify", "--json"])
    report = json.loads(notified.stdout)
    assert (report["suppressed"], report["notifications"]) == (1, 1)
    active = _json(["findings", "suppressions", "--active", "--json"])
    assert [r["id"] for r in active] == [added["id"]]
    lifted = runner.invoke(app, ["findings", "unsuppress", str(added["id"])])
    assert lifted.exit_code == 0, lifted.output
    again = runner.invoke(app, ["findings", "unsuppress", str(added["id"])])
    assert again.exit_code == 1
    assert _json(["findings", "suppressions", "--active", "--json"]) == []
