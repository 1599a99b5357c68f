"""REST routes of the risk domain: ``/assets``, ``/vulns`` and ``/risk`` (exposures,
measures, the register, targeting). One router, no prefix: each path names its resource."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from certnet.core import clock
from certnet.core.schemas import PageOut
from certnet.deps import PrincipalDep, SessionDep
from certnet.risk import service
from certnet.risk.models import ExposureState, MeasureState
from certnet.risk.schemas import (
    AffectedOrganisationRead,
    AssetCreate,
    AssetImportRead,
    AssetRead,
    AssetUpdate,
    ExposureOverride,
    ExposureRead,
    IntelImportRead,
    MeasureChange,
    MeasureRead,
    ProductRefIn,
    RegisterRead,
    TrendPointRead,
    VulnerabilityRead,
)

router = APIRouter(tags=["risk"])

Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/assets", response_model=PageOut[AssetRead])
def list_assets(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int | None = None,
    q: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[AssetRead]:
    """Assets you may see."""
    page = service.list_assets(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[AssetRead.model_validate(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.post("/assets", response_model=AssetRead, status_code=201)
def create_asset(session: SessionDep, principal: PrincipalDep, data: AssetCreate) -> AssetRead:
    """Add an asset to an organisation; it is matched at once."""
    asset = service.create_asset(
        session=session,
        principal=principal,
        organisation_id=data.organisation_id,
        item=service.AssetInput(
            name=data.name,
            cpe=data.cpe,
            purl=data.purl,
            version=data.version,
            exposure=data.exposure.value,
            criticality=data.criticality.value,
            owner_contact=data.owner_contact,
        ),
    )
    return AssetRead.model_validate(asset)


@router.get("/assets/{asset_id}", response_model=AssetRead)
def get_asset(session: SessionDep, principal: PrincipalDep, asset_id: int) -> AssetRead:
    """One asset."""
    return AssetRead.model_validate(
        service.get_asset(session=session, principal=principal, asset_id=asset_id)
    )


@router.patch("/assets/{asset_id}", response_model=AssetRead)
def update_asset(
    session: SessionDep, principal: PrincipalDep, asset_id: int, data: AssetUpdate
) -> AssetRead:
    """Change an asset; it is rematched."""
    changes = {
        k: (v.value if hasattr(v, "value") else v)
        for k, v in data.model_dump(exclude_unset=True).items()
    }
    return AssetRead.model_validate(
        service.update_asset(
            session=session, principal=principal, asset_id=asset_id, changes=changes
        )
    )


@router.delete("/assets/{asset_id}", status_code=204)
def delete_asset(session: SessionDep, principal: PrincipalDep, asset_id: int) -> Response:
    """Remove an asset with its exposures and measures."""
    service.delete_asset(session=session, principal=principal, asset_id=asset_id)
    return Response(status_code=204)


@router.post("/assets/import", response_model=AssetImportRead)
def import_assets(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: Annotated[int, Form()],
    file: Annotated[UploadFile, File(description="CSV or CycloneDX SBOM JSON")],
    exposure: Annotated[str, Form()] = "controlled",
    criticality: Annotated[str, Form()] = "medium",
) -> AssetImportRead:
    """Import an organisation's assets (all or nothing; errors name the row or component)."""
    summary = service.import_assets(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        content=file.file.read(),
        filename=file.filename,
        exposure=exposure,
        criticality=criticality,
    )
    return AssetImportRead(**summary.as_dict())


@router.post("/vulns/import", response_model=IntelImportRead)
def import_intel(
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="CVE JSON 5, KEV JSON, EPSS CSV or CSAF 2.0")],
    kind: Annotated[Literal["cve", "kev", "epss", "csaf"] | None, Query()] = None,
) -> IntelImportRead:
    """Import vulnerability intelligence; bad records are rejected with id and field."""
    summary = service.import_file(
        session=session,
        principal=principal,
        content=file.file.read(),
        filename=file.filename,
        kind=kind,
    )
    return IntelImportRead.model_validate(summary.as_dict())


@router.get("/vulns/{identifier}", response_model=VulnerabilityRead)
def get_vulnerability(
    session: SessionDep, principal: PrincipalDep, identifier: str
) -> VulnerabilityRead:
    """One vulnerability by its identifier (``CVE-2024-3400``)."""
    found = service.get_vulnerability(session=session, principal=principal, identifier=identifier)
    return VulnerabilityRead.model_validate(found)


@router.get("/risk/exposures", response_model=PageOut[ExposureRead])
def list_exposures(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int | None = None,
    state: ExposureState | None = ExposureState.ACTIVE,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[ExposureRead]:
    """Exposures you may see, newest first."""
    page = service.list_exposures(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        state=state,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[ExposureRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.post("/risk/exposures/{exposure_id}/override", response_model=ExposureRead)
def override_exposure(
    session: SessionDep, principal: PrincipalDep, exposure_id: int, data: ExposureOverride
) -> ExposureRead:
    """Override SSVC inputs with a recorded reason (CERT analysts)."""
    return ExposureRead.model_validate(
        service.override_exposure(
            session=session,
            principal=principal,
            exposure_id=exposure_id,
            overrides=data.overrides,
            reason=data.reason,
        )
    )


@router.get("/risk/measures", response_model=PageOut[MeasureRead])
def list_measures(
    session: SessionDep,
    principal: PrincipalDep,
    organisation_id: int | None = None,
    state: MeasureState | None = None,
    priority: str | None = None,
    overdue: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[MeasureRead]:
    """Measures you may see, of exposures that stand."""
    page = service.list_measures(
        session=session,
        principal=principal,
        organisation_id=organisation_id,
        state=state,
        priority=priority,
        overdue_on=clock.now().date() if overdue else None,
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[MeasureRead.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.patch("/risk/measures/{measure_id}", response_model=MeasureRead)
def change_measure(
    session: SessionDep, principal: PrincipalDep, measure_id: int, data: MeasureChange
) -> MeasureRead:
    """Move a measure (open → in progress → done → verified, or risk accepted)."""
    return MeasureRead.model_validate(
        service.change_measure(
            session=session,
            principal=principal,
            measure_id=measure_id,
            state=data.state,
            kind=data.kind,
            note=data.note,
            accepted_reason=data.accepted_reason,
            accepted_until=data.accepted_until,
        )
    )


@router.get("/risk/register", response_model=RegisterRead)
def get_register(
    session: SessionDep,
    principal: PrincipalDep,
    level: Literal["nation", "sector", "province", "organisation"] = "sector",
    sector: str | None = None,
    province: str | None = None,
    on: date | None = None,
) -> RegisterRead:
    """Open measures by priority and overdue, rolled up at ``level`` over what you may see."""
    found = service.register(
        session=session,
        principal=principal,
        level=level,
        on=on or clock.now().date(),
        sector=sector,
        province=province,
    )
    return RegisterRead.model_validate(found.as_dict())


@router.get("/risk/trend", response_model=list[TrendPointRead])
def get_trend(
    session: SessionDep,
    principal: PrincipalDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    sector: str | None = None,
) -> list[TrendPointRead]:
    """Daily totals from the register's snapshots."""
    points = service.trend(
        session=session, principal=principal, until=clock.now().date(), days=days, sector=sector
    )
    return [
        TrendPointRead(
            day=p.day,
            immediate=p.immediate,
            out_of_cycle=p.out_of_cycle,
            scheduled=p.scheduled,
            defer=p.defer,
            overdue=p.overdue,
        )
        for p in points
    ]


@router.post("/risk/affected", response_model=list[AffectedOrganisationRead])
def affected(
    session: SessionDep, principal: PrincipalDep, products: list[ProductRefIn]
) -> list[AffectedOrganisationRead]:
    """Which organisations you may see run any of these products."""
    found = service.organisations_affected(
        session,
        principal,
        [service.ProductRef(cpe=p.cpe, purl=p.purl, versions=p.versions) for p in products],
    )
    return [
        AffectedOrganisationRead(
            organisation_id=o.organisation_id,
            organisation_name=o.organisation_name,
            cert_id=o.cert_id,
            asset_ids=[a.asset_id for a in o.assets],
        )
        for o in found
    ]
