"""Invariant 6: every state change is in the chain, secrets never are, and any edit, gap or
forgery is found and named by its sequence number."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from certnet.cli import app as cli
from certnet.core import audit
from certnet.core.models import AuditEntry
from tests.factories import SYSTEM, build_network

SECRETS = ("password_hash", "token_hash", "totp_secret", "csrf_token")


def _entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_every_change_is_recorded_without_secrets(session: Session) -> None:
    net = build_network(session)
    net.token(session, "telco")
    entries = _entries(session)
    actions = {e.action for e in entries}
    assert {
        "cert.create",
        "organisation.create",
        "contact.create",
        "resource.add",
        "user.create",
        "api_token.create",
    } <= actions
    for entry in entries:
        if entry.action.endswith((".create", ".add")):
            assert entry.after is not None, entry.action
            assert entry.before is None, entry.action
        for secret in SECRETS:
            assert secret not in json.dumps([entry.before, entry.after]), entry.action
    made = {(e.object_type, e.object_id) for e in entries if e.action == "user.create"}
    assert ("user", str(net.users["telco"].id)) in made
    assert audit.verify(session=session).ok


def _tamper_cases() -> dict[str, tuple[str, int | None]]:
    # name → (SQL with :seq for the victim, the seq verify must name; None: the victim's)
    return {
        "edited after": (
            'UPDATE audit_entry SET after = \'{"name": "forged"}\' WHERE seq = :seq',
            None,
        ),
        "edited hash": (
            # Flip the first digit to another one (a fixed 'f' would change nothing when the
            # hash already starts with 'f', one time in sixteen).
            "UPDATE audit_entry SET hash = CASE WHEN substr(hash, 1, 1) = '0' THEN '1' "
            "ELSE '0' END || substr(hash, 2) WHERE seq = :seq",
            None,
        ),
        "middle deleted": ("DELETE FROM audit_entry WHERE seq = :seq", None),
    }


@pytest.mark.parametrize("case", sorted(_tamper_cases()))
def test_tampering_is_found_at_the_right_entry(session: Session, case: str) -> None:
    build_network(session)
    entries = _entries(session)
    victim = entries[len(entries) // 2].seq
    statement, _ = _tamper_cases()[case]
    session.execute(text(statement), {"seq": victim})
    session.expire_all()
    result = audit.verify(session=session)
    assert not result.ok
    if case == "edited hash":
        # The entry's own digest no longer matches its hash.
        assert result.broken_seq == victim
    else:
        assert result.broken_seq == victim, result


def test_deleting_the_last_entry_is_found(session: Session) -> None:
    build_network(session)
    last = _entries(session)[-1].seq
    session.execute(text("DELETE FROM audit_entry WHERE seq = :seq"), {"seq": last})
    session.expire_all()
    result = audit.verify(session=session)
    assert not result.ok
    assert result.broken_seq == last
    assert "head" in str(result.reason)


def test_a_forged_entry_is_found(session: Session) -> None:
    build_network(session)
    entries = _entries(session)
    last = entries[-1]
    # A forger appends a row with a plausible seq and link but cannot make the head agree
    # without also rewriting it; and a made-up hash does not match the content.
    session.execute(
        text(
            "INSERT INTO audit_entry (seq, at, actor, action, object_type, object_id, prev_hash,"
            " hash) VALUES (:seq, :at, 'mallory', 'user.create', 'user', '999', :prev, :hash)"
        ),
        {"seq": last.seq + 1, "at": last.at, "prev": last.hash, "hash": "0" * 64},
    )
    session.expire_all()
    result = audit.verify(session=session)
    assert not result.ok
    assert result.broken_seq == last.seq + 1


def test_an_entry_inserted_in_the_middle_is_found(session: Session) -> None:
    build_network(session)
    entries = _entries(session)
    target_seq, target_at, prev_hash = entries[3].seq, entries[3].at, entries[2].hash
    # Shift the tail to make room, as a forger would, then insert an entry at the gap.
    session.execute(
        text("UPDATE audit_entry SET seq = seq + 100000 WHERE seq >= :s"), {"s": target_seq}
    )
    session.execute(text("UPDATE audit_entry SET seq = seq - 99999 WHERE seq >= 100000"))
    session.execute(
        text(
            "INSERT INTO audit_entry (seq, at, actor, action, object_type, object_id, prev_hash,"
            " hash) VALUES (:seq, :at, 'mallory', 'user.create', 'user', '999', :prev, :hash)"
        ),
        {"seq": target_seq, "at": target_at, "prev": prev_hash, "hash": "0" * 64},
    )
    session.expire_all()
    result = audit.verify(session=session)
    assert not result.ok
    assert result.broken_seq == target_seq


def test_cli_verify_names_the_broken_entry(cli_database: Engine) -> None:
    with Session(cli_database) as session:
        build_network(session)
        session.commit()
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "chain intact" in intact.output
    with cli_database.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 5"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code != 0
    assert "entry 5" in broken.output


@pytest.mark.parametrize("head_exists", [False, True], ids=["first-append", "later-appends"])
def test_concurrent_appends_stay_linear(db_engine: Engine, head_exists: bool) -> None:
    """Two transactions append at once, from their own connections: both succeed and the
    chain stays one line (PostgreSQL: the head's row lock; SQLite: its write lock)."""
    if head_exists:
        with Session(db_engine) as first:
            audit.record(
                session=first, principal=SYSTEM, action="test.seed", object_type="test", object_id=0
            )
            first.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            with Session(db_engine) as own:
                barrier.wait()
                for i in range(10):
                    audit.record(
                        session=own,
                        principal=SYSTEM,
                        action="test.append",
                        object_type="test",
                        object_id=f"{n}-{i}",
                    )
                own.commit()
        except BaseException as exc:  # noqa: BLE001 — handed back to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        with Session(db_engine) as check:
            result = audit.verify(session=check)
            assert result.ok, result
            assert result.entries >= 20
    finally:
        with db_engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_entry"))
            connection.execute(text("DELETE FROM audit_head"))
