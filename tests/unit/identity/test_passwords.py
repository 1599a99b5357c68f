"""Passwords: argon2id at RFC 9106 strength in production, and the strength rules."""

from __future__ import annotations

import argon2
import pytest
from argon2 import PasswordHasher, Type

from certnet.identity import passwords


def test_production_hasher_is_argon2id_at_library_defaults() -> None:
    # The suite swaps in a cheap hasher (conftest); the module's own default is a plain
    # PasswordHasher(), whose parameters are what production uses.
    params = argon2.extract_parameters(PasswordHasher().hash("Correct-Horse-42"))
    assert params.type is Type.ID
    assert params.time_cost >= 2
    assert params.memory_cost >= 19 * 1024  # RFC 9106 / OWASP floor, KiB


def test_hashes_are_argon2id_and_verify() -> None:
    digest = passwords.hash_password("Correct-Horse-42")
    assert digest.startswith("$argon2id$")
    assert passwords.verify_password(digest, "Correct-Horse-42")
    assert not passwords.verify_password(digest, "correct-horse-42")
    assert not passwords.verify_password(None, "Correct-Horse-42")
    assert not passwords.verify_password("not a hash", "Correct-Horse-42")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Short-1a", "at least 12"),
        ("all-lower-case-42", "upper- and lower-case"),
        ("ALL-UPPER-CASE-42", "upper- and lower-case"),
        ("No-Digits-At-All", "digit"),
    ],
)
def test_weak_passwords_are_named(password: str, reason: str) -> None:
    weak = passwords.check_strength(password)
    assert weak is not None
    assert reason in weak


def test_strong_password_passes() -> None:
    assert passwords.check_strength("Correct-Horse-42") is None
