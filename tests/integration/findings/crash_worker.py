"""A process doing a day's work — ingest a report (committing each batch, as the CLI does),
notify what is due, send the outbox — that the crash test kills part-way.

``python -m tests.integration.findings.crash_worker DB_URL SCHEMA REPORT SMTP_PORT NOW [STOP]``
where STOP ``after-notify`` makes the process SIGKILL itself right after the notifications
are committed and before anything is sent.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from certnet.config import Settings
from certnet.core.access import Principal
from certnet.db import models as _all_tables  # noqa: F401 — every table's mapper, as the app loads them
from certnet.db.session import make_engine, session_factory
from certnet.feeds import service as feeds
from certnet.feeds.parsers.schema_store import load_schema
from certnet.feeds.parsers.shadowserver import ShadowserverParser
from certnet.findings import service as findings
from certnet.notifications import service as outbox


def main(argv: list[str]) -> None:
    url, schema, report, smtp_port, now_text = argv[:5]
    stop = argv[5] if len(argv) > 5 else ""
    engine = make_engine(url)
    factory = session_factory(engine)
    parser = ShadowserverParser(load_schema(Path(schema)))
    principal = Principal.system("crash test")
    path = Path(report)
    with factory() as session, path.open("rb") as stream:
        feeds.ingest(
            session=session,
            principal=principal,
            parser=parser,
            stream=stream,
            filename=path.name,
            batch_size=500,
            checkpoint=session.commit,
        )
        session.commit()
    with factory() as session, session.begin():
        findings.notify_due(session=session, now=datetime.fromisoformat(now_text))
    if stop == "after-notify":
        os.kill(os.getpid(), signal.SIGKILL)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=int(smtp_port))
    outbox.deliver_due(factory, settings, limit=1000)


if __name__ == "__main__":
    main(sys.argv[1:])
