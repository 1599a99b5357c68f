"""Domain errors and their RFC 9457 problem+json rendering.

Services raise these; one handler maps them to HTTP, the CLI maps them to an exit code and a
message, and console views turn ``Invalid`` into form errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://certnet.example/problems/"


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input: where (a field path, or ``line 12: prefix``) and why."""

    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass
class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __str__(self) -> str:
        if not self.errors:
            return self.detail
        reasons = "; ".join(f"{e.field}: {e.reason}" for e in self.errors)
        return f"{self.detail} ({reasons})"


class Invalid(DomainError):
    """The input breaks a rule; ``errors`` names each field and reason."""

    status = 422
    slug = "invalid"
    title = "Invalid input"

    @classmethod
    def on(cls, field_name: str, reason: str) -> Invalid:
        """A single-field error, the most common case."""
        return cls(detail=f"{field_name}: {reason}", errors=[FieldError(field_name, reason)])


class NotFound(DomainError):
    """The object does not exist, or the principal may not know that it does."""

    status = 404
    slug = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    """The principal may see the object but not do this to it."""

    status = 403
    slug = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    """No valid credentials came with the request."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Conflict(DomainError):
    """The change clashes with existing state (a duplicate name, a prefix already claimed)."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class Throttled(DomainError):
    """Too many attempts; try again later."""

    status = 429
    slug = "throttled"
    title = "Too many attempts"


def problem(
    status: int, title: str, detail: str, slug: str, request: Request | None, **extra: Any
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {}
    if exc.errors:
        extra["errors"] = [e.as_dict() for e in exc.errors]
    return problem(exc.status, exc.title, exc.detail, exc.slug, request, **extra)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ()) if part not in ("body", "query")]
        errors.append(FieldError(".".join(location) or "request", str(err.get("msg"))))
    detail = "; ".join(f"{e.field}: {e.reason}" for e in errors)
    return problem(
        422, "Invalid input", detail, "invalid", request, errors=[e.as_dict() for e in errors]
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(
        exc.status_code, str(exc.detail), str(exc.detail), f"http-{exc.status_code}", request
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error of the API to problem+json."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
