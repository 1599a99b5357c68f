"""``HttpCollector``: a report at an HTTP(S) URL, fetched only when it changed.

The ETag and Last-Modified of the last stored report are sent back (``If-None-Match``,
``If-Modified-Since``): an unchanged report answers 304 and is not fetched again. They are
remembered only once the report was stored, so a failed run fetches it again. TLS is always
verified — against the system's certificates or a CA bundle the source names — and a token
or password comes from the environment, never from the database."""

from __future__ import annotations

import base64
import email.message
import http.client
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from certnet.feeds.collectors import SPOOL_BYTES, CollectedReport, CollectorError

USER_AGENT = "certnet-feed-collector"
TIMEOUT_SECONDS = 60.0


class HttpCollector:
    """One report at ``url``."""

    def __init__(
        self,
        url: str,
        *,
        state: dict[str, Any] | None = None,
        ca_bundle: str | None = None,
        username: str | None = None,
        secret: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.url = url
        self.timeout = timeout
        self._state: dict[str, Any] = dict(state or {})
        self._fetched: dict[str, Any] = {}
        # Verification stays on: a CA bundle adds trust, it never turns checking off.
        self.context = ssl.create_default_context(cafile=ca_bundle)
        self.username = username
        self.secret = secret

    @property
    def state(self) -> dict[str, Any]:
        return dict(self._state)

    def _request(self) -> urllib.request.Request:
        # The scheme was checked to be http(s) when the collector was made.
        request = urllib.request.Request(self.url, headers={"User-Agent": USER_AGENT})  # noqa: S310
        if self._state.get("etag"):
            request.add_header("If-None-Match", self._state["etag"])
        if self._state.get("last_modified"):
            request.add_header("If-Modified-Since", self._state["last_modified"])
        if self.secret and self.username:
            pair = f"{self.username}:{self.secret}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        elif self.secret:
            request.add_header("Authorization", f"Bearer {self.secret}")
        return request

    def collect(self) -> Iterator[CollectedReport]:
        try:
            response = urllib.request.urlopen(  # noqa: S310 — the scheme is checked above
                self._request(), timeout=self.timeout, context=self.context
            )
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return  # unchanged since the last stored report
            raise CollectorError(f"{self.url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CollectorError(f"{self.url}: {reason}") from None
        with response, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            try:
                while chunk := response.read(1 << 20):
                    spool.write(chunk)
            except (OSError, http.client.HTTPException) as exc:
                raise CollectorError(f"{self.url}: download cut short: {exc}") from None
            spool.seek(0)
            headers = response.headers
            self._fetched = {
                "etag": headers.get("ETag"),
                "last_modified": headers.get("Last-Modified"),
            }
            yield CollectedReport(
                name=_filename(self.url, headers),
                stream=spool,
                metadata={
                    "url": self.url,
                    "content_type": headers.get("Content-Type", ""),
                    **{k: v for k, v in self._fetched.items() if v},
                },
            )

    def acknowledge(self, report: CollectedReport, *, stored: bool, reason: str = "") -> None:
        if stored:
            self._state = {k: v for k, v in self._fetched.items() if v}


def _filename(url: str, headers: email.message.Message) -> str:
    """The name the server gives the report (Content-Disposition), else the URL's last part."""
    disposition = email.message.Message()
    disposition["Content-Disposition"] = headers.get("Content-Disposition", "")
    named = disposition.get_filename()
    if named:
        return PurePosixPath(named).name
    return PurePosixPath(urlsplit(url).path).name or urlsplit(url).netloc
