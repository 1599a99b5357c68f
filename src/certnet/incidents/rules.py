"""Routing rules and playbooks as data: the packaged defaults per profile
(``data/<profile>.toml``, ``data/playbooks.toml``) and their validated shape."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from certnet.core.errors import FieldError, Invalid
from certnet.incidents.models import Severity


class RoutingRules(BaseModel):
    """When an incident goes up the reporting line, and what the organisation owes."""

    model_config = ConfigDict(extra="forbid")

    basis: str = Field(default="policy", pattern="^(law|policy)$")
    stages: list[str] = Field(description="Clock ids of the profile, in order")
    cii_to_national: bool = True
    sectors_to_national: int = Field(default=2, ge=2)
    provinces_to_national: int = Field(default=2, ge=2)
    inform_parent_at: Severity = Severity.HIGH
    remind_hours_before: int = Field(default=6, ge=1, le=720)


class PlaybookStep(BaseModel):
    """One task a playbook creates."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    due_hours: int | None = Field(default=None, ge=1, le=8760)


def _read(name: str) -> dict[str, Any]:
    text = resources.files("certnet.incidents").joinpath(f"data/{name}").read_text("utf-8")
    return tomllib.loads(text)


def validate_rules(document: dict[str, Any], field: str = "rules") -> RoutingRules:
    """Check a rules document; Invalid names each bad field."""
    try:
        return RoutingRules.model_validate(document)
    except ValidationError as exc:
        errors = [
            FieldError(".".join([field, *(str(p) for p in e["loc"])]), e["msg"])
            for e in exc.errors()
        ]
        raise Invalid(detail="the routing rules are invalid", errors=errors) from exc


def validate_steps(steps: list[dict[str, Any]], field: str = "steps") -> list[PlaybookStep]:
    """Check a playbook; Invalid names each bad step and field (``steps.0.title``)."""
    checked: list[PlaybookStep] = []
    errors: list[FieldError] = []
    for position, step in enumerate(steps):
        try:
            checked.append(PlaybookStep.model_validate(step))
        except ValidationError as exc:
            errors.extend(
                FieldError(".".join([field, str(position), *(str(p) for p in e["loc"])]), e["msg"])
                for e in exc.errors()
            )
    if errors:
        raise Invalid(detail="the playbook is invalid", errors=errors)
    return checked


@cache
def packaged_rules(profile_id: str) -> RoutingRules:
    """The rules shipped for a profile."""
    return validate_rules(_read(f"{profile_id}.toml"), field=profile_id)


@cache
def packaged_playbooks() -> dict[str, list[PlaybookStep]]:
    """The playbooks shipped with certnet, per RSIT class."""
    raw = _read("playbooks.toml").get("playbook", {})
    return {name: validate_steps(steps, field=name) for name, steps in raw.items()}
