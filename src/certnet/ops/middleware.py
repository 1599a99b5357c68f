"""Request id, access log and request metrics for every HTTP request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram

from certnet.core import context

log = logging.getLogger("certnet.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class HttpMetrics:
    """Per-app Prometheus collectors (a registry per app keeps tests independent)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "certnet_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "certnet_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )


def _route_label(request: Request) -> str:
    """The route template (``/api/v1/certs/{cert_id}``), never the raw path."""
    template = getattr(request.scope.get("route"), "path", None)
    if template is None:
        # Static files are served by a mount, which names no route of its own.
        return "/static/{path}" if request.url.path.startswith("/static/") else "unmatched"
    # Routers included under a prefix report their own path; put the API prefix back.
    if request.url.path.startswith("/api/v1/") and not template.startswith("/api/v1"):
        return f"/api/v1{template}"
    return str(template)


def install(app: FastAPI, metrics: HttpMetrics) -> None:
    """Give every request an id (kept from ``X-Request-ID`` when well-formed), log it and
    count it. The route template, not the raw path, labels metrics (bounded cardinality)."""

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = request_id
        token = context.request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            context.request_id.reset(token)
        elapsed = time.perf_counter() - started
        route = _route_label(request)
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return response
