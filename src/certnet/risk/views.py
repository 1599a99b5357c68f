"""Console pages of the risk domain: the register with its plots, assets (with add and
import), exposures with their SSVC decisions, measures (moved along their life), and the
intelligence import. Constituents see the same pages over their own organisation (the
portal view): the access policy decides, these views only parse, call and render."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from certnet.constituency import service as constituency
from certnet.constituency.models import Organisation
from certnet.core import access, clock
from certnet.core.errors import DomainError, Forbidden, Invalid
from certnet.risk import plots, service
from certnet.risk.models import Asset, Exposure, MeasureState, Vulnerability
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

PAGE = 50
LEVELS = ("nation", "sector", "province", "organisation")
DONE = {
    "imported": "Imported.",
    "asset": "Asset added.",
    "asset_changed": "Asset changed; its exposures were matched again.",
    "asset_removed": "Asset removed, with its exposures and measures.",
    "measure": "Measure updated.",
}


def _is_constituent(console: Console) -> bool:
    role = console.principal.role
    return role is not None and role.is_constituent


@router.get("/risk", response_class=HTMLResponse)
def register_page(console: ConsoleDep, level: str = "", sector: str = "") -> HTMLResponse:
    """The risk register: open measures by priority and overdue, per group, with the trend."""
    default = "organisation" if _is_constituent(console) else "sector"
    chosen = level if level in LEVELS else default
    today = clock.now().date()
    found = service.register(
        session=console.session,
        principal=console.principal,
        level=chosen,  # type: ignore[arg-type]  # one of LEVELS
        on=today,
        sector=sector or None,
    )
    points = service.trend(
        session=console.session,
        principal=console.principal,
        until=today,
        days=60,
        sector=sector or None,
    )
    return console.render(
        "risk/register.html",
        register=found,
        level=chosen,
        levels=LEVELS,
        sector=sector,
        chart=plots.stacked(found.rows),
        trend=plots.trend_chart(points),
        has_trend=len(points) > 0,
        priority_class=plots.PRIORITY_CLASS,
        priority_label=plots.PRIORITY_LABEL,
    )


def _org_names(console: Console, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = access.scoped(select(Organisation), console.principal).where(
        Organisation.id.in_(sorted(ids))
    )
    return {o.id: o.name for o in console.session.scalars(stmt)}


def _organisations(console: Console) -> list[tuple[int, str]]:
    page = constituency.list_organisations(
        session=console.session, principal=console.principal, limit=500
    )
    return [(o.id, o.name) for o in page.items]


def _assets_page(
    console: Console,
    *,
    organisation: str = "",
    q: str = "",
    cursor: str = "",
    done: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    import_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    org_id = int(organisation) if organisation.isdigit() else None
    page = service.list_assets(
        session=console.session,
        principal=console.principal,
        organisation_id=org_id,
        q=q or None,
        cursor=cursor or None,
        limit=PAGE,
    )
    return console.render(
        "risk/assets.html",
        status_code,
        assets=page.items,
        org_names=_org_names(console, {a.organisation_id for a in page.items}),
        organisations=_organisations(console),
        organisation=organisation,
        q=q,
        done=DONE.get(done),
        form=form or {},
        errors=errors or {},
        import_errors=import_errors or {},
        next_url=url("/risk/assets", organisation=organisation, q=q, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url("/risk/assets", organisation=organisation, q=q) if cursor else None,
    )


@router.get("/risk/assets", response_class=HTMLResponse)
def assets_page(
    console: ConsoleDep, organisation: str = "", q: str = "", cursor: str = "", done: str = ""
) -> HTMLResponse:
    """Assets the viewer may see, the form to add one and the SBOM/CSV import."""
    return _assets_page(console, organisation=organisation, q=q, cursor=cursor, done=done)


@router.post("/risk/assets", response_model=None)
def add_asset(console: FormConsoleDep) -> Response:
    """Add an asset from the form; errors come back beside the fields."""
    form = {k: str(v).strip() for k, v in console.form.items() if k != "csrf_token"}
    try:
        org = form.get("organisation_id", "")
        if not org.isdigit():
            raise Invalid.on("organisation_id", "choose an organisation")
        with console.attempt():
            service.create_asset(
                session=console.session,
                principal=console.principal,
                organisation_id=int(org),
                item=service.AssetInput(
                    name=form.get("name", ""),
                    cpe=form.get("cpe") or None,
                    purl=form.get("purl") or None,
                    version=form.get("version") or None,
                    exposure=form.get("exposure") or "controlled",
                    criticality=form.get("criticality") or "medium",
                    owner_contact=form.get("owner_contact") or None,
                ),
            )
    except Forbidden:
        raise
    except DomainError as exc:
        return _assets_page(
            console, status_code=status_of(exc), form=form, errors=field_errors(exc)
        )
    return RedirectResponse(
        url("/risk/assets", organisation=form.get("organisation_id"), done="asset"),
        status_code=303,
    )


@router.post("/risk/assets/import", response_model=None)
def import_assets(
    console: FormConsoleDep, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Import an organisation's CSV or CycloneDX SBOM."""
    org = str(console.form.get("organisation_id", "")).strip()
    try:
        if not org.isdigit():
            raise Invalid.on("organisation_id", "choose an organisation")
        if file is None or not file.filename:
            raise Invalid.on("file", "choose a CSV or CycloneDX JSON file")
        with console.attempt():
            service.import_assets(
                session=console.session,
                principal=console.principal,
                organisation_id=int(org),
                content=file.file.read(),
                filename=file.filename,
                exposure=str(console.form.get("exposure") or "controlled"),
                criticality=str(console.form.get("criticality") or "medium"),
            )
    except Forbidden:
        raise
    except DomainError as exc:
        return _assets_page(
            console,
            status_code=status_of(exc),
            form={"organisation_id": org},
            import_errors=field_errors(exc) or {"file": exc.detail},
        )
    return RedirectResponse(url("/risk/assets", organisation=org, done="imported"), 303)


# After /risk/assets/import, which the {asset_id} routes would otherwise shadow.
EDITABLE_FIELDS = ("name", "cpe", "purl", "version", "exposure", "criticality", "owner_contact")


def _asset_page(
    console: Console,
    asset_id: int,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    asset = service.get_asset(
        session=console.session, principal=console.principal, asset_id=asset_id
    )
    current = {
        name: str(getattr(getattr(asset, name), "value", getattr(asset, name)) or "")
        for name in EDITABLE_FIELDS
    }
    return console.render(
        "risk/asset.html",
        status_code,
        asset=asset,
        organisation=_org_names(console, {asset.organisation_id}).get(asset.organisation_id, ""),
        form=form or current,
        errors=errors or {},
    )


@router.get("/risk/assets/{asset_id}", response_class=HTMLResponse)
def asset_page(console: ConsoleDep, asset_id: int) -> HTMLResponse:
    """One asset, with the form to change or remove it."""
    return _asset_page(console, asset_id)


@router.post("/risk/assets/{asset_id}", response_model=None)
def change_asset(console: FormConsoleDep, asset_id: int) -> Response:
    """Change an asset from the form (it is matched again); errors come back beside the fields."""
    form = {k: str(v).strip() for k, v in console.form.items() if k in EDITABLE_FIELDS}
    changes: dict[str, Any] = {k: (v or None) for k, v in form.items()}
    for required in ("name", "exposure", "criticality"):
        if required in changes and changes[required] is None:
            changes[required] = ""
    try:
        with console.attempt():
            asset = service.update_asset(
                session=console.session,
                principal=console.principal,
                asset_id=asset_id,
                changes=changes,
            )
    except Forbidden:
        raise
    except DomainError as exc:
        return _asset_page(
            console, asset_id, status_code=status_of(exc), form=form, errors=field_errors(exc)
        )
    return RedirectResponse(
        url("/risk/assets", organisation=str(asset.organisation_id), done="asset_changed"),
        status_code=303,
    )


@router.post("/risk/assets/{asset_id}/delete", response_model=None)
def remove_asset(console: FormConsoleDep, asset_id: int) -> Response:
    """Remove an asset, with its exposures and measures."""
    asset = service.get_asset(
        session=console.session, principal=console.principal, asset_id=asset_id
    )
    organisation = str(asset.organisation_id)
    service.delete_asset(session=console.session, principal=console.principal, asset_id=asset_id)
    return RedirectResponse(
        url("/risk/assets", organisation=organisation, done="asset_removed"), status_code=303
    )


@router.get("/risk/exposures", response_class=HTMLResponse)
def exposures_page(console: ConsoleDep, organisation: str = "", cursor: str = "") -> HTMLResponse:
    """Active exposures with their SSVC inputs and both trees' decisions."""
    org_id = int(organisation) if organisation.isdigit() else None
    page = service.list_exposures(
        session=console.session,
        principal=console.principal,
        organisation_id=org_id,
        cursor=cursor or None,
        limit=PAGE,
    )
    assets = {
        a.id: a
        for a in console.session.scalars(
            access.scoped(select(Asset), console.principal).where(
                Asset.id.in_(sorted({e.asset_id for e in page.items}))
            )
        )
    }
    vulns = _vulnerabilities(console, page.items)
    return console.render(
        "risk/exposures.html",
        exposures=page.items,
        assets=assets,
        vulns=vulns,
        org_names=_org_names(console, {e.organisation_id for e in page.items}),
        organisation=organisation,
        next_url=url("/risk/exposures", organisation=organisation, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url("/risk/exposures", organisation=organisation) if cursor else None,
    )


def _vulnerabilities(console: Console, exposures: list[Exposure]) -> dict[int, Vulnerability]:
    ids = sorted({e.vulnerability_id for e in exposures})
    stmt = access.scoped(select(Vulnerability), console.principal).where(Vulnerability.id.in_(ids))
    return {v.id: v for v in console.session.scalars(stmt)}


def _measures_page(
    console: Console,
    *,
    organisation: str = "",
    overdue: str = "",
    cursor: str = "",
    done: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    org_id = int(organisation) if organisation.isdigit() else None
    today = clock.now().date()
    page = service.list_measures(
        session=console.session,
        principal=console.principal,
        organisation_id=org_id,
        overdue_on=today if overdue else None,
        cursor=cursor or None,
        limit=PAGE,
    )
    exposures = {
        e.id: e
        for e in console.session.scalars(
            access.scoped(select(Exposure), console.principal).where(
                Exposure.id.in_(sorted({m.exposure_id for m in page.items}))
            )
        )
    }
    return console.render(
        "risk/measures.html",
        status_code,
        measures=page.items,
        exposures=exposures,
        vulns=_vulnerabilities(console, list(exposures.values())),
        org_names=_org_names(console, {m.organisation_id for m in page.items}),
        organisation=organisation,
        overdue=overdue,
        today=today,
        states=[s.value for s in MeasureState],
        done=DONE.get(done),
        errors=errors or {},
        next_url=url(
            "/risk/measures", organisation=organisation, overdue=overdue, cursor=page.next_cursor
        )
        if page.next_cursor
        else None,
        first_url=url("/risk/measures", organisation=organisation, overdue=overdue)
        if cursor
        else None,
    )


@router.get("/risk/measures", response_class=HTMLResponse)
def measures_page(
    console: ConsoleDep, organisation: str = "", overdue: str = "", cursor: str = "", done: str = ""
) -> HTMLResponse:
    """Protective measures, soonest due first, each with a form to move it."""
    return _measures_page(
        console, organisation=organisation, overdue=overdue, cursor=cursor, done=done
    )


@router.post("/risk/measures/{measure_id}", response_model=None)
def change_measure(console: FormConsoleDep, measure_id: int) -> Response:
    """Move one measure; a refusal comes back as a form error on the list."""
    form = {k: str(v).strip() for k, v in console.form.items()}
    try:
        until = None
        if form.get("accepted_until"):
            try:
                until = date.fromisoformat(form["accepted_until"])
            except ValueError:
                raise Invalid.on("accepted_until", "a date YYYY-MM-DD") from None
        try:
            state = MeasureState(form.get("state", ""))
        except ValueError:
            raise Invalid.on("state", "choose a state") from None
        with console.attempt():
            service.change_measure(
                session=console.session,
                principal=console.principal,
                measure_id=measure_id,
                state=state,
                accepted_reason=form.get("accepted_reason") or None,
                accepted_until=until,
            )
    except Forbidden:
        raise
    except DomainError as exc:
        errors = {f"{measure_id}:{k}": v for k, v in field_errors(exc).items()}
        return _measures_page(console, status_code=status_of(exc), errors=errors)
    return RedirectResponse(url("/risk/measures", done="measure"), status_code=303)


def _intel_page(
    console: Console,
    *,
    status_code: int = 200,
    summary: service.ImportSummary | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    imports = service.list_imports(session=console.session, principal=console.principal)
    return console.render(
        "risk/intel.html",
        status_code,
        imports=imports,
        summary=summary,
        errors=errors or {},
    )


@router.get("/risk/intel", response_class=HTMLResponse)
def intel_page(console: ConsoleDep) -> HTMLResponse:
    """Upload intelligence (CVE, KEV, EPSS, CSAF) and see the latest imports."""
    return _intel_page(console)


@router.post("/risk/intel", response_model=None)
def upload_intel(
    console: FormConsoleDep, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """Import an uploaded intelligence file; the summary lists every rejection."""
    try:
        if file is None or not file.filename:
            raise Invalid.on("file", "choose a file to import")
        with console.attempt():
            summary = service.import_file(
                session=console.session,
                principal=console.principal,
                content=file.file.read(),
                filename=file.filename,
            )
    except Forbidden:
        raise
    except DomainError as exc:
        return _intel_page(
            console, status_code=status_of(exc), errors=field_errors(exc) or {"file": exc.detail}
        )
    return _intel_page(console, summary=summary)
