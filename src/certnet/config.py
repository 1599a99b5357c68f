"""Settings, read from environment variables prefixed ``CERTNET_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set. Defaults run an embedded instance on SQLite."""

    model_config = SettingsConfigDict(env_prefix="CERTNET_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/certnet.sqlite3",
        description="SQLAlchemy URL; PostgreSQL in production, e.g. "
        "postgresql+psycopg://certnet@db/certnet",
    )
    profile: str = Field(default="pk_cert_rules_2023", description="Jurisdiction profile id")
    secret_key: str = Field(
        default="",
        description="Key for signing; generated into var/secret_key when empty",
    )
    session_hours: int = Field(default=12, ge=1, description="Console session lifetime")
    cookie_secure: bool = Field(default=False, description="Mark console cookies Secure (HTTPS)")
    login_max_failures: int = Field(default=5, ge=1, description="Failures before throttling")
    login_window_minutes: int = Field(default=15, ge=1, description="Throttling window")
    log_level: str = "INFO"
    log_json: bool = True
    var_dir: Path = Path("var")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
