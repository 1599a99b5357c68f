"""The embedded SQLite behaves like PostgreSQL where it matters: concurrent units of work that
read and then write all succeed (they wait their turn), and a released savepoint commits
nothing until its transaction does."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from certnet.constituency import service
from certnet.constituency.models import Contact, ContactRole
from certnet.constituency.schemas import CertCreate, ContactCreate
from certnet.core import audit
from certnet.core.access import Principal
from certnet.db import migrate
from certnet.db.session import make_engine, unit_of_work

SYSTEM = Principal.system("tests")


def test_concurrent_read_then_write_units_of_work_all_succeed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    migrate.upgrade(engine)
    with unit_of_work(engine) as session:
        top = service.create_cert(
            session=session,
            principal=SYSTEM,
            data=CertCreate(name="Top CERT", short_name="top", tier="national"),
        ).id
    failures: list[BaseException] = []

    def writer(worker: int) -> None:
        for attempt in range(10):
            try:
                with unit_of_work(engine) as session:
                    service.get_cert(session=session, principal=SYSTEM, cert_id=top)
                    service.create_contact(
                        session=session,
                        principal=SYSTEM,
                        cert_id=top,
                        data=ContactCreate(
                            name=f"Desk {worker}-{attempt}",
                            role=ContactRole.ABUSE,
                            email=f"desk{worker}x{attempt}@example.pk",
                        ),
                    )
            except BaseException as exc:  # noqa: BLE001 — collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 60
        assert audit.verify(session=session).ok
    engine.dispose()


def test_a_released_savepoint_is_undone_with_its_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.sqlite3'}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        outer = connection.begin()
        nested = connection.begin_nested()
        connection.exec_driver_sql(
            "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, 'x')"
        )
        nested.commit()  # RELEASE SAVEPOINT: on a bare sqlite3 connection this could commit
        outer.rollback()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM audit_head").scalar() == 0
    engine.dispose()
