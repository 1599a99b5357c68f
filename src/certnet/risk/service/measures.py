"""Exposures and their protective measures: reading them through the policy, an analyst's
SSVC override (with a recorded reason), and the measure's life: open → in progress → done →
verified, or risk accepted with a reason and an expiry. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from certnet.core import access, audit, clock
from certnet.core.access import Principal
from certnet.core.errors import Forbidden, Invalid, NotFound
from certnet.core.pagination import Page, paginate
from certnet.risk import matching, ssvc
from certnet.risk.models import Exposure, ExposureState, Measure, MeasureKind, MeasureState
from certnet.risk.service.intel import rules

#: Which states a measure may move to from each state.
TRANSITIONS: Mapping[MeasureState, frozenset[MeasureState]] = {
    MeasureState.OPEN: frozenset(
        {MeasureState.IN_PROGRESS, MeasureState.DONE, MeasureState.RISK_ACCEPTED}
    ),
    MeasureState.IN_PROGRESS: frozenset(
        {MeasureState.OPEN, MeasureState.DONE, MeasureState.RISK_ACCEPTED}
    ),
    MeasureState.DONE: frozenset(
        {MeasureState.VERIFIED, MeasureState.IN_PROGRESS, MeasureState.RISK_ACCEPTED}
    ),
    MeasureState.VERIFIED: frozenset({MeasureState.OPEN}),
    MeasureState.RISK_ACCEPTED: frozenset({MeasureState.OPEN}),
}


def list_exposures(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    vulnerability_id: int | None = None,
    state: ExposureState | None = ExposureState.ACTIVE,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Exposure]:
    """Exposures the principal may see, newest first."""
    stmt = access.scoped(select(Exposure), principal)
    if organisation_id is not None:
        stmt = stmt.where(Exposure.organisation_id == organisation_id)
    if vulnerability_id is not None:
        stmt = stmt.where(Exposure.vulnerability_id == vulnerability_id)
    if state is not None:
        stmt = stmt.where(Exposure.state == state)
    return paginate(session, stmt, keys=[Exposure.id], cursor=cursor, limit=limit, descending=True)


def get_exposure(*, session: Session, principal: Principal, exposure_id: int) -> Exposure:
    """One exposure, or NotFound."""
    found = session.scalar(
        access.scoped(select(Exposure).where(Exposure.id == exposure_id), principal)
    )
    if found is None:
        raise NotFound(f"exposure {exposure_id} not found")
    return found


def override_exposure(
    *,
    session: Session,
    principal: Principal,
    exposure_id: int,
    overrides: Mapping[str, str],
    reason: str,
) -> Exposure:
    """An analyst sets SSVC inputs by hand (``{"exploitation": "active"}``), with a reason;
    the decisions and the open measure's priority and due date follow. An empty
    ``overrides`` returns to the derived inputs. CERT staff only."""
    exposure = get_exposure(session=session, principal=principal, exposure_id=exposure_id)
    if principal.role is not None and principal.role.is_constituent:
        raise Forbidden("SSVC inputs are overridden by the CERT's analysts")
    access.require(session, principal, "edit", exposure)
    if not reason.strip():
        raise Invalid.on("reason", "say why the derived input is wrong")
    allowed_points = set(ssvc.coordinator_table().values) | set(ssvc.deployer_table().values)
    for point, value in overrides.items():
        values = ssvc.coordinator_table().values.get(point) or ssvc.deployer_table().values.get(
            point
        )
        if point not in allowed_points or values is None:
            raise Invalid.on(f"overrides.{point}", "not an SSVC decision point")
        if value not in values:
            raise Invalid.on(f"overrides.{point}", f"one of {', '.join(values)}")
    before = audit.snapshot(exposure)
    exposure.overrides = dict(overrides)
    exposure.override_reason = reason.strip()[:1000]
    session.flush()
    # Recompute from the derived inputs with the overrides on top.
    matching.rematch(session, now=clock.now(), rules=rules(), asset_ids={exposure.asset_id})
    session.refresh(exposure)
    if exposure.overrides:
        inputs = ssvc.SsvcInputs(
            exploitation=exposure.exploitation,
            automatable=exposure.automatable,
            technical_impact=exposure.technical_impact,
            system_exposure=exposure.system_exposure,
            mission_wellbeing=exposure.mission_wellbeing,
            human_impact=exposure.human_impact,
        )
        merged, coordinator, deployer = matching.apply_overrides(inputs, exposure.overrides)
        _set_inputs(exposure, merged, coordinator, deployer)
    audit.record(
        session=session,
        principal=principal,
        action="risk.exposure.override",
        object_type="exposure",
        object_id=exposure.id,
        before=before,
        after=audit.snapshot(exposure),
        owner_cert_id=exposure.owner_cert_id,
    )
    return exposure


def _set_inputs(
    exposure: Exposure, inputs: ssvc.SsvcInputs, coordinator: str, deployer: str
) -> None:
    for name, value in inputs.as_dict().items():
        setattr(exposure, name, value)
    exposure.coordinator_decision = coordinator
    exposure.deployer_decision = deployer


def list_measures(
    *,
    session: Session,
    principal: Principal,
    organisation_id: int | None = None,
    state: MeasureState | None = None,
    priority: str | None = None,
    overdue_on: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Measure]:
    """Measures the principal may see (of exposures that stand), soonest due first."""
    stmt = access.scoped(select(Measure), principal).where(Measure.standing.is_(True))
    if organisation_id is not None:
        stmt = stmt.where(Measure.organisation_id == organisation_id)
    if state is not None:
        stmt = stmt.where(Measure.state == state)
    if priority:
        stmt = stmt.where(Measure.priority == priority)
    if overdue_on is not None:
        stmt = stmt.where(
            Measure.due_on < overdue_on,
            Measure.state.in_([MeasureState.OPEN, MeasureState.IN_PROGRESS]),
        )
    return paginate(session, stmt, keys=[Measure.id], cursor=cursor, limit=limit)


def get_measure(*, session: Session, principal: Principal, measure_id: int) -> Measure:
    """One measure, or NotFound."""
    found = session.scalar(
        access.scoped(select(Measure).where(Measure.id == measure_id), principal)
    )
    if found is None:
        raise NotFound(f"measure {measure_id} not found")
    return found


def change_measure(
    *,
    session: Session,
    principal: Principal,
    measure_id: int,
    state: MeasureState | None = None,
    kind: MeasureKind | None = None,
    note: str | None = None,
    accepted_reason: str | None = None,
    accepted_until: date | None = None,
) -> Measure:
    """Move a measure along its life or change its kind or note. Accepting the risk needs a
    reason and an expiry in the future; only the CERT verifies a measure done."""
    measure = get_measure(session=session, principal=principal, measure_id=measure_id)
    access.require(session, principal, "edit", measure)
    before = audit.snapshot(measure)
    today = clock.now().date()
    if state is not None and state != measure.state:
        if state not in TRANSITIONS[measure.state]:
            raise Invalid.on(
                "state", f"a {measure.state.value} measure cannot become {state.value}"
            )
        constituent = principal.role is not None and principal.role.is_constituent
        if state is MeasureState.VERIFIED and constituent:
            raise Forbidden("the CERT verifies that a measure is done")
        if state is MeasureState.RISK_ACCEPTED:
            if not (accepted_reason or "").strip():
                raise Invalid.on("accepted_reason", "say why the risk is accepted")
            if accepted_until is None or accepted_until <= today:
                raise Invalid.on("accepted_until", "give an expiry date in the future")
            measure.accepted_reason = accepted_reason.strip()[:1000] if accepted_reason else None
            measure.accepted_until = accepted_until
        else:
            measure.accepted_reason = None
            measure.accepted_until = None
        measure.state = state
    if kind is not None:
        measure.kind = kind
    if note is not None:
        measure.note = note.strip()[:2000] or None
    measure.updated_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        principal=principal,
        action="risk.measure.change",
        object_type="measure",
        object_id=measure.id,
        before=before,
        after=audit.snapshot(measure),
        owner_cert_id=measure.owner_cert_id,
    )
    return measure
