"""Finding and loading profiles. Profiles ship with certnet; an operator may add their own
folder with ``CERTNET_PROFILE_DIRS``."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from certnet.config import get_settings
from certnet.core.errors import FieldError, Invalid, NotFound
from certnet.profiles.schemas import Profile

BUILTIN = Path(__file__).parent / "data"


def _folders() -> list[Path]:
    extra = os.environ.get("CERTNET_PROFILE_DIRS", "")
    return [Path(p) for p in extra.split(os.pathsep) if p] + [BUILTIN]


def available() -> list[str]:
    """Ids of every profile that can be loaded."""
    return sorted({p.stem for folder in _folders() for p in folder.glob("*.toml")})


def load_file(path: Path) -> Profile:
    """Parse and validate one profile file; errors name the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise Invalid.on(str(path), f"not valid TOML: {exc}") from exc
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "profile", e["msg"])
            for e in exc.errors()
        ]
        raise Invalid(detail=f"profile {path.name} is invalid", errors=errors) from exc


@lru_cache
def load(profile_id: str) -> Profile:
    """The profile ``profile_id``, from the first folder that has it."""
    for folder in _folders():
        path = folder / f"{profile_id}.toml"
        if path.is_file():
            return load_file(path)
    raise NotFound(f"unknown profile {profile_id!r}; available: {', '.join(available())}")


def active() -> Profile:
    """The profile this installation runs under (``CERTNET_PROFILE``)."""
    return load(get_settings().profile)
