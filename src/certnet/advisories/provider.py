"""The CSAF provider directory: TLP:CLEAR advisories, served as CSAF 2.0 section 7 describes
(``provider-metadata.json``, one folder per year, ``index.txt``, ``changes.csv``, and a
``.sha256``/``.sha512`` file beside each document).

Everything here reads as the anonymous principal, so the access policy itself keeps every
advisory that is not TLP:CLEAR (and every draft) out of the directory.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.advisories import csaf
from certnet.advisories.models import Advisory, AdvisoryRevision
from certnet.constituency import service as constituency
from certnet.core import access, clock
from certnet.core.access import Principal
from certnet.core.errors import NotFound
from certnet.core.tlp import Tlp

WELL_KNOWN = "/.well-known/csaf"
#: The folder of TLP:CLEAR documents (CSAF 2.0 calls the label WHITE; the folder name is ours).
CLEAR_FOLDER = "clear"
PUBLIC = Principal.anonymous()


@dataclass(frozen=True)
class Entry:
    """One document in the directory."""

    path: str  # "2026/pkcert-2026-0001.json", relative to the TLP folder
    current_release: datetime
    document: dict[str, Any]

    @property
    def content(self) -> bytes:
        return csaf.canonical_bytes(self.document)


def entries(*, session: Session) -> list[Entry]:
    """The latest published revision of every TLP:CLEAR advisory, newest release first (one
    query: each advisory with the revision whose number is its current version)."""
    rows = session.execute(
        select(AdvisoryRevision, Advisory.tracking_id, Advisory.initial_release_at)
        .join(Advisory, Advisory.id == AdvisoryRevision.advisory_id)
        .where(
            # The policy on both tables, as the anonymous principal: TLP:CLEAR only.
            access.view_clause(AdvisoryRevision, PUBLIC),
            access.view_clause(Advisory, PUBLIC),
            Advisory.version > 0,
            Advisory.tlp == Tlp.CLEAR,
            AdvisoryRevision.number == Advisory.version,
        )
    ).all()
    found = [
        Entry(
            path=f"{initial.year}/{csaf.filename(tracking_id)}",
            current_release=revision.published_at,
            document=revision.document,
        )
        for revision, tracking_id, initial in rows
        if initial is not None
    ]
    found.sort(key=lambda e: (e.current_release, e.path), reverse=True)
    return found


def provider_metadata(*, session: Session, base_url: str) -> dict[str, Any]:
    """``provider-metadata.json`` for the installation: the top CERT as the provider."""
    top_id = constituency.top_cert_id(session=session)
    name, namespace = "certnet", base_url
    if top_id is not None:
        top = constituency.get_cert(
            session=session, principal=Principal.system("provider metadata"), cert_id=top_id
        )
        name, namespace = top.name, f"{base_url}/certs/{top.short_name}"
    listed = entries(session=session)
    last = listed[0].current_release if listed else clock.now().replace(microsecond=0)
    return {
        "canonical_url": f"{base_url}{WELL_KNOWN}/provider-metadata.json",
        "distributions": [{"directory_url": f"{base_url}{WELL_KNOWN}/{CLEAR_FOLDER}/"}],
        "last_updated": csaf.stamp(last),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {"category": "coordinator", "name": name, "namespace": namespace},
        "role": "csaf_provider",
    }


def index_txt(*, session: Session) -> str:
    """Every document's path, one a line, sorted (CSAF 2.0 requirement 8's ``index.txt``)."""
    return "".join(f"{path}\n" for path in sorted(e.path for e in entries(session=session)))


def changes_csv(*, session: Session) -> str:
    """Path and current release date of every document, newest first (``changes.csv``)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for entry in entries(session=session):
        writer.writerow([entry.path, csaf.stamp(entry.current_release)])
    return out.getvalue()


def file(*, session: Session, year: str, name: str) -> tuple[bytes, str]:
    """A document (``….json``) or its hash (``….json.sha256`` / ``.sha512``) with its media
    type; NotFound for anything not in the directory."""
    for suffix, algorithm in (".sha256", "sha256"), (".sha512", "sha512"):
        if name.endswith(suffix):
            document = name.removesuffix(suffix)
            content, _ = file(session=session, year=year, name=document)
            digest = hashlib.new(algorithm, content).hexdigest()
            return f"{digest}  {document}\n".encode(), "text/plain"
    wanted = f"{year}/{name}"
    for entry in entries(session=session):
        if entry.path == wanted:
            return entry.content, "application/json"
    raise NotFound(f"{WELL_KNOWN}/{CLEAR_FOLDER}/{wanted} is not in the provider directory")


def listing(*, session: Session, year: str | None = None) -> str:
    """A directory listing (CSAF 2.0 requirement 14) of the TLP:CLEAR folder, or of one year's
    folder in it: plain HTML links, newest documents first."""
    found = entries(session=session)
    if year is None:
        names = sorted({e.path.split("/", 1)[0] + "/" for e in found}, reverse=True)
        names += ["index.txt", "changes.csv"]
        title = f"{WELL_KNOWN}/{CLEAR_FOLDER}/"
    else:
        files = [e.path.split("/", 1)[1] for e in found if e.path.startswith(f"{year}/")]
        if not files:
            raise NotFound(f"{WELL_KNOWN}/{CLEAR_FOLDER}/{year}/ is not in the provider directory")
        names = [n + suffix for n in files for suffix in ("", ".sha256", ".sha512")]
        title = f"{WELL_KNOWN}/{CLEAR_FOLDER}/{year}/"
    items = "".join(f'<li><a href="{escape(n)}">{escape(n)}</a></li>' for n in names)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1><ul>{items}</ul></body></html>"
    )
