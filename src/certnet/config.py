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
    public_url: str = Field(
        default="",
        description="Where constituents reach this certnet, e.g. https://certnet.example.pk "
        "(links in mails, CSAF document namespaces)",
    )
    embedded_worker: bool = Field(
        default=False,
        description="Run background jobs inside the serving process (embedded SQLite); "
        "'certnet serve' with one process turns it on",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP relay that sends certnet's mail")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="certnet@localhost", description="Envelope and From: address")
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS")
    smtp_username: str = Field(default="", description="SMTP AUTH user (empty: no AUTH)")
    smtp_password: str = Field(default="", description="SMTP AUTH password", repr=False)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    outbox_max_attempts: int = Field(default=8, ge=1, description="Attempts before a mail fails")
    outbox_retry_seconds: int = Field(
        default=60, ge=1, description="First retry delay; doubles with each attempt"
    )
    outbox_lease_seconds: int = Field(
        default=600, ge=10, description="After this, a claimed but unconfirmed mail is retried"
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache to change them)."""
    return Settings()
