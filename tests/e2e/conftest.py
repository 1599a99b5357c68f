"""A real certnet server (uvicorn, in a subprocess, over a migrated SQLite file holding the test
network) and a real browser (Debian's Chromium, driven by Playwright, headless).

Playwright's own browser download is never used: CERT consoles are tested offline, with the
system's Chromium. Without it the tests skip on a developer's machine and fail in CI.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from certnet.core.access import Role
from certnet.db import migrate
from certnet.db.session import make_engine
from certnet.identity import service as identity
from certnet.identity.schemas import UserCreate
from tests.factories import PASSWORD, SYSTEM, build_network

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
TOTP_USER = "duty"


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens, and the ids of the network it serves."""

    url: str
    certs: dict[str, int]
    orgs: dict[str, int]
    totp_secret: str
    var_dir: Path
    database_url: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fill(database_url: str) -> tuple[dict[str, int], dict[str, int], str]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    secret = pyotp.random_base32()
    with Session(engine) as session:
        net = build_network(session)
        duty = identity.create_user(
            session=session,
            principal=SYSTEM,
            data=UserCreate(
                username=TOTP_USER,
                display_name="Duty Officer",
                email="duty@pkcert.example.pk",
                role=Role.ANALYST,
                cert_id=net.certs["pkcert"].id,
                password=PASSWORD,
            ),
        )
        duty.totp_secret = secret
        session.commit()
        ids = (
            {k: c.id for k, c in net.certs.items()},
            {k: o.id for k, o in net.orgs.items()},
        )
    engine.dispose()
    return ids[0], ids[1], secret


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Wait for ``/healthz``; a loaded machine may be slow to answer the first request, so a
    read timeout is waited out like a refused connection."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``, killing it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_env(database_url: str, folder: Path) -> dict[str, str]:
    """The environment of a test server: nothing of the developer's CERTNET_* leaks in."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CERTNET_")},
        "CERTNET_DATABASE_URL": database_url,
        "CERTNET_VAR_DIR": str(folder / "var"),
        # Every browser signs in from 127.0.0.1: throttling by address would otherwise
        # lock the suite out after the tests that fail a sign-in on purpose.
        "CERTNET_LOGIN_MAX_FAILURES": "50",
        "CERTNET_LOG_LEVEL": "WARNING",
    }


@contextmanager
def running_app(database_url: str, folder: Path) -> Iterator[str]:
    """certnet served by uvicorn in a subprocess over ``database_url``; yields its URL."""
    port = _free_port()
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "certnet.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=server_env(database_url, folder),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process)
            yield url
        finally:
            stop(process)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards; its URL.
    Unreachable: the test fails in CI (``CI`` or ``CERTNET_REQUIRE_POSTGRES``), else skips."""
    base = os.environ.get("CERTNET_TEST_POSTGRES_URL", "")
    required = bool(os.environ.get("CI")) or os.environ.get("CERTNET_REQUIRE_POSTGRES") == "1"
    if not base:
        if required:
            pytest.fail("CERTNET_TEST_POSTGRES_URL is not set, and PostgreSQL tests are required")
        pytest.skip("CERTNET_TEST_POSTGRES_URL is not set")
    name = f"certnet_e2e_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 — any connection failure decides skip or fail
        admin.dispose()
        message = f"PostgreSQL at {base} is unreachable: {exc}"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running_server(folder: Path, database_url: str | None = None) -> Iterator[LiveServer]:
    """A server over a fresh, migrated database holding the test network: ``database_url``
    (an empty database), or a SQLite file in ``folder``."""
    url_of_database = database_url or f"sqlite:///{folder / 'certnet.sqlite3'}"
    certs, orgs, secret = _fill(url_of_database)
    with running_app(url_of_database, folder) as url:
        yield LiveServer(
            url=url,
            certs=certs,
            orgs=orgs,
            totp_secret=secret,
            var_dir=folder / "var",
            database_url=url_of_database,
        )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """certnet over a fresh, migrated SQLite file with the test network, on a free port.
    Tests that add to the network start their own server (``running_server``)."""
    with running_server(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing; install Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    made = browser.new_context(
        base_url=live_server.url, viewport={"width": 1360, "height": 900}, locale="en-GB"
    )
    made.set_default_timeout(10_000)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page for people to look at (the folder is git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
