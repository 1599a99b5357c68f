"""Driving the console as a browser would: fetch a form, keep its CSRF token, post it."""

from __future__ import annotations

import re

import httpx2 as httpx
from fastapi.testclient import TestClient

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page: httpx.Response) -> str:
    """The CSRF token of the first form on ``page``."""
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF token on {page.url}"
    return found.group(1)


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    """Post the sign-in form (with the token the form carried); the redirect is not followed."""
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_token(form),
        },
        follow_redirects=False,
    )


def signed_in(client: TestClient, username: str) -> str:
    """Sign in and return the session's CSRF token, read from a console page."""
    response = sign_in(client, username)
    assert response.status_code == 303, response.text
    return csrf_token(client.get("/account"))
