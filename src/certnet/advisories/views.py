"""Console pages of the advisories: the list, the authoring form with a CSAF preview, an
advisory with its revisions, dissemination log and answer board, and, for a constituent,
the advisories its organisation received with the form to answer them.

Every read and change goes through :mod:`certnet.advisories.service`; these views parse the
form, call one service function and render."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from certnet.advisories import answers, csaf, csaf_checks, dissemination, forms, service
from certnet.advisories.models import (
    Advisory,
    AdvisoryCategory,
    AdvisoryStatus,
    AnswerStatus,
)
from certnet.advisories.schemas import (
    AdvisoryCreate,
    AdvisoryUpdate,
    AnswerBoard,
    AnswerIn,
    Justification,
    ProductStatus,
    PublishRequest,
    RemediationCategory,
)
from certnet.core.errors import DomainError, NotFound
from certnet.core.tlp import Tlp
from certnet.web.console import (
    Console,
    ConsoleDep,
    ConsoleRoute,
    FormConsoleDep,
    field_errors,
    status_of,
    url,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
#: Messages after a change (post, redirect, get): only these fixed texts are shown.
DONE = {
    "created": "Draft saved.",
    "saved": "Changes saved. They go out with the next publication.",
    "published": "Published and sent to the organisations whose assets match.",
    "answered": "Thank you: your answer is recorded.",
}
ANSWER_LABELS = {
    AnswerStatus.PATCHED: "Patched",
    AnswerStatus.NOT_AFFECTED: "Not affected",
    AnswerStatus.MITIGATED: "Mitigated",
    AnswerStatus.NEEDS_HELP: "Needs help",
}
ANSWER_COLOURS = {
    "patched": "#15803d",
    "not_affected": "#64748b",
    "mitigated": "#0e7490",
    "needs_help": "#b45309",
    "unanswered": "#cbd5e1",
    "overdue": "#b91c1c",
}
BAR_WIDTH = 320


def _is_constituent(console: Console) -> bool:
    return console.viewer.role.is_constituent


def _choices() -> dict[str, Any]:
    return {
        "tlps": [t.value for t in Tlp],
        "categories": [
            (c.value, "Security advisory" if c is AdvisoryCategory.SECURITY_ADVISORY else "VEX")
            for c in AdvisoryCategory
        ],
        "product_statuses": [s.value for s in ProductStatus],
        "justifications": [j.value for j in Justification],
        "remediation_categories": [c.value for c in RemediationCategory],
        "answer_choices": [(s.value, label) for s, label in ANSWER_LABELS.items()],
        "publish_statuses": [AdvisoryStatus.FINAL.value, AdvisoryStatus.INTERIM.value],
    }


# --- the list ---------------------------------------------------------------------------------


@router.get("/advisories", response_class=HTMLResponse)
def advisories_page(
    console: ConsoleDep, status: str = "", cursor: str = "", done: str = ""
) -> HTMLResponse:
    """CERT staff: the advisories they may see. Constituents: what their organisation received,
    and what it answered."""
    session, principal = console.session, console.principal
    if _is_constituent(console):
        sent = dissemination.disseminations(
            session=session, principal=principal, cursor=cursor or None, limit=PAGE_SIZE
        )
        latest: dict[int, Any] = {}
        for row in sent.items:
            latest.setdefault(row.advisory_id, row)
        given = (
            answers.answers_for(
                session=session,
                principal=principal,
                organisation_id=principal.organisation_id,
                advisory_ids=list(latest),
            )
            if principal.organisation_id is not None
            else {}
        )
        return console.render(
            "advisories/received.html",
            received=list(latest.values()),
            answers=given,
            answer_labels=dict(_choices()["answer_choices"]),
            done=DONE.get(done),
            next_url=url("/advisories", cursor=sent.next_cursor) if sent.next_cursor else None,
        )
    chosen = AdvisoryStatus(status) if status in {s.value for s in AdvisoryStatus} else None
    page = service.list_advisories(
        session=session, principal=principal, status=chosen, cursor=cursor or None, limit=PAGE_SIZE
    )
    return console.render(
        "advisories/list.html",
        advisories=page.items,
        status=status,
        statuses=[s.value for s in AdvisoryStatus],
        done=DONE.get(done),
        next_url=url("/advisories", status=status, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url("/advisories", status=status) if cursor else None,
    )


# --- authoring --------------------------------------------------------------------------------


def _form_page(
    console: Console,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    advisory: Advisory | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return console.render(
        "advisories/form.html",
        status_code,
        form=form,
        errors=errors or {},
        advisory=advisory,
        product_rows=forms.row_count(form, "products"),
        remediation_rows=forms.row_count(form, "remediations"),
        reference_rows=forms.row_count(form, "references"),
        action=f"/advisories/{advisory.id}/edit" if advisory else "/advisories/new",
        **_choices(),
    )


@router.get("/advisories/new", response_class=HTMLResponse)
def new_page(console: ConsoleDep) -> HTMLResponse:
    """The authoring form for a new advisory."""
    return _form_page(
        console, form={"tlp": "AMBER", "category": AdvisoryCategory.SECURITY_ADVISORY.value}
    )


@router.post("/advisories/new", response_model=None)
def create(console: FormConsoleDep) -> Response:
    """Save a new draft; the form comes back with each error beside its field."""
    form = forms.compact(console.form)
    try:
        data = AdvisoryCreate.model_validate(forms.to_data(console.form))
        with console.attempt():
            made = service.create(session=console.session, principal=console.principal, data=data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        return _form_page(console, form=form, errors=field_errors(exc), status_code=status_of(exc))
    return RedirectResponse(f"/advisories/{made.id}?done=created", status_code=303)


@router.get("/advisories/{advisory_id}/edit", response_class=HTMLResponse)
def edit_page(console: ConsoleDep, advisory_id: int) -> HTMLResponse:
    """The authoring form, filled with the advisory's content."""
    advisory = service.get(
        session=console.session, principal=console.principal, advisory_id=advisory_id
    )
    return _form_page(console, form=forms.from_advisory(advisory), advisory=advisory)


@router.post("/advisories/{advisory_id}/edit", response_model=None)
def edit(console: FormConsoleDep, advisory_id: int) -> Response:
    """Save changes to an advisory."""
    advisory = service.get(
        session=console.session, principal=console.principal, advisory_id=advisory_id
    )
    form = forms.compact(console.form)
    try:
        values = forms.to_data(console.form)
        data = AdvisoryUpdate.model_validate(values)
        with console.attempt():
            service.update(
                session=console.session,
                principal=console.principal,
                advisory_id=advisory_id,
                data=data,
            )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        return _form_page(
            console,
            form=form,
            errors=field_errors(exc),
            advisory=advisory,
            status_code=status_of(exc),
        )
    return RedirectResponse(f"/advisories/{advisory_id}?done=saved", status_code=303)


# --- one advisory -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One part of the answer bar: how many organisations answered so."""

    key: str
    label: str
    count: int
    x: float
    width: float
    colour: str


def answer_bar(board: AnswerBoard) -> list[Segment]:
    """The answer board as one bar: each answer's share, unanswered and overdue last."""
    parts: list[tuple[str, str, int]] = [
        (s.value, ANSWER_LABELS[s], sum(1 for r in board.rows if r.status is s))
        for s in AnswerStatus
    ]
    waiting = [r for r in board.rows if r.status is None]
    parts.append(("unanswered", "Not yet answered", sum(1 for r in waiting if not r.overdue)))
    parts.append(("overdue", "Overdue", sum(1 for r in waiting if r.overdue)))
    total = sum(n for _, _, n in parts)
    segments: list[Segment] = []
    x = 0.0
    for key, label, count in parts:
        if not count:
            continue
        width = BAR_WIDTH * count / total
        segments.append(
            Segment(key, label, count, round(x, 2), round(width, 2), ANSWER_COLOURS[key])
        )
        x += width
    return segments


@router.get("/advisories/{advisory_id}", response_class=HTMLResponse)
def advisory_page(console: ConsoleDep, advisory_id: int, done: str = "") -> HTMLResponse:
    """Staff: the advisory, its revisions, where it went and who answered. A constituent: the
    advisory as its organisation received it, and the answer form."""
    session, principal = console.session, console.principal
    if _is_constituent(console):
        return _received_page(console, advisory_id, done=done)
    advisory = service.get(session=session, principal=principal, advisory_id=advisory_id)
    history = service.revisions(session=session, principal=principal, advisory_id=advisory_id)
    board = answers.answer_board(session=session, principal=principal, advisory_id=advisory_id)
    sent = dissemination.disseminations(
        session=session, principal=principal, advisory_id=advisory_id, limit=200
    )
    return console.render(
        "advisories/detail.html",
        advisory=advisory,
        revisions=history,
        board=board,
        bar=answer_bar(board),
        bar_width=BAR_WIDTH,
        disseminations=sent.items,
        answer_labels=ANSWER_LABELS,
        done=DONE.get(done),
        csaf_label=csaf.csaf_tlp(advisory.tlp),
        publish_errors={},
        **_choices(),
    )


def _received_page(
    console: Console,
    advisory_id: int,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    session, principal = console.session, console.principal
    got = answers.received(session=session, principal=principal, advisory_id=advisory_id)
    given = answers.get_answer(
        session=session,
        principal=principal,
        advisory_id=advisory_id,
        organisation_id=got.organisation_id,
    )
    doc = got.document
    return console.render(
        "advisories/received_one.html",
        status_code,
        got=got,
        doc=doc,
        answer=given,
        answer_labels=ANSWER_LABELS,
        errors=errors or {},
        form=form or {},
        done=DONE.get(done),
        **_choices(),
    )


@router.post("/advisories/{advisory_id}/answer", response_model=None)
def answer(console: FormConsoleDep, advisory_id: int) -> Response:
    """Record the organisation's answer to an advisory it received."""
    form = {"status": console.form.get("status", ""), "note": console.form.get("note", "")}
    try:
        data = AnswerIn.model_validate(form)
        with console.attempt():
            answers.answer(
                session=console.session,
                principal=console.principal,
                advisory_id=advisory_id,
                data=data,
            )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        return _received_page(
            console, advisory_id, errors=field_errors(exc), form=form, status_code=status_of(exc)
        )
    return RedirectResponse(f"/advisories/{advisory_id}?done=answered", status_code=303)


@router.post("/advisories/{advisory_id}/publish", response_model=None)
def publish(console: FormConsoleDep, advisory_id: int) -> Response:
    """Publish the next revision and disseminate it; a refusal (a failed mandatory test, no
    product) is shown on the advisory's page."""
    session, principal = console.session, console.principal
    try:
        data = PublishRequest.model_validate(
            {
                "status": console.form.get("status", "final"),
                "summary": console.form.get("summary", "").strip() or "Initial version.",
            }
        )
        with console.attempt():
            service.publish(
                session=session, principal=principal, advisory_id=advisory_id, data=data
            )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        advisory = service.get(session=session, principal=principal, advisory_id=advisory_id)
        board = answers.answer_board(session=session, principal=principal, advisory_id=advisory_id)
        return console.render(
            "advisories/detail.html",
            status_of(exc),
            advisory=advisory,
            revisions=service.revisions(
                session=session, principal=principal, advisory_id=advisory_id
            ),
            board=board,
            bar=answer_bar(board),
            bar_width=BAR_WIDTH,
            disseminations=dissemination.disseminations(
                session=session, principal=principal, advisory_id=advisory_id, limit=200
            ).items,
            answer_labels=ANSWER_LABELS,
            done=None,
            csaf_label=csaf.csaf_tlp(advisory.tlp),
            publish_errors=field_errors(exc),
            **_choices(),
        )
    return RedirectResponse(f"/advisories/{advisory_id}?done=published", status_code=303)


@router.get("/advisories/{advisory_id}/preview", response_class=HTMLResponse)
def preview_page(console: ConsoleDep, advisory_id: int) -> HTMLResponse:
    """The CSAF document the current content makes, and what the mandatory tests say of it."""
    session, principal = console.session, console.principal
    advisory = service.get(session=session, principal=principal, advisory_id=advisory_id)
    doc = service.preview(session=session, principal=principal, advisory_id=advisory_id)
    failures = csaf_checks.run(doc)
    return console.render(
        "advisories/preview.html",
        advisory=advisory,
        doc=doc,
        failures=failures,
        checked=len(csaf_checks.CHECKS),
        pretty=json.dumps(doc, indent=2, ensure_ascii=False),
    )


@router.get("/advisories/{advisory_id}/csaf.json", response_model=None)
def download(console: ConsoleDep, advisory_id: int, version: int | None = None) -> Response:
    """A published revision's CSAF document as a file (a constituent: the one it received)."""
    session, principal = console.session, console.principal
    if _is_constituent(console):
        got = answers.received(session=session, principal=principal, advisory_id=advisory_id)
        document, tracking_id = got.document, got.tracking_id
    else:
        revision = service.document(
            session=session, principal=principal, advisory_id=advisory_id, version=version
        )
        document = revision.document
        tracking_id = document["document"]["tracking"]["id"]
    return Response(
        csaf.canonical_bytes(document),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{csaf.filename(tracking_id)}"',
            "Cache-Control": "no-store",
        },
    )
