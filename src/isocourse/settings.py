"""One settings object: the only reader of environment variables.

Every variable is ``ISOCOURSE_<NAME>``. SQLite under the data directory is the
default database; see docs/deployment for production settings.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "isocourse-development-secret-not-for-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISOCOURSE_", extra="ignore")

    timezone: str = Field(default="UTC", description="the clinic's time zone: days are its days")
    data_dir: Path = Field(default=Path("isocourse-data"), description="where SQLite files live")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite under data_dir; "
        "PostgreSQL as postgresql+psycopg://user:password@host/db",
    )
    environment: Literal["development", "production"] = "development"
    secret_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET), description="signs bearer tokens"
    )
    token_minutes: int = Field(
        default=480,
        gt=0,
        le=24 * 60,
        description="a session's absolute lifetime (the bearer token and the page cookie): "
        "it ends this long after the sign-in, however much it is used",
    )
    session_idle_minutes: int = Field(
        default=30,
        gt=0,
        le=24 * 60,
        description="a session ends after this long without a request (measured to the "
        "minute)",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks (CIDR) of the reverse proxies "
        "in front of the server: only a request from one of them has its client address "
        "taken from X-Forwarded-For (empty: the connection's own address, always)",
    )
    invitation_hours: int = Field(
        default=72, gt=0, le=30 * 24, description="how long a patient's invitation link works"
    )
    login_attempts: int = Field(
        default=5, gt=0, description="failed sign-ins per account before a lockout"
    )
    login_attempts_per_address: int = Field(
        default=20, gt=0, description="failed sign-ins per client address before a lockout"
    )
    login_lockout_minutes: int = Field(
        default=15, gt=0, description="the window failures are counted in, and the lockout"
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="larger request bodies are refused (413)"
    )
    server_threads: int = Field(
        default=8,
        gt=0,
        le=256,
        description="worker threads per server process for blocking work (database, "
        "rules); more than a few only contend for Python's interpreter lock",
    )
    database_wait_seconds: float = Field(
        default=5,
        gt=0,
        le=300,
        description="PostgreSQL: how long a request on the event loop waits for a "
        "connection before it is answered 503 (under load the waits are milliseconds; "
        "a longer wait means the database does not answer)",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="the key that signs audit checkpoints (an Ed25519 JWK file, made on "
        "first use with mode 600); keep it where those who can write to the database "
        "cannot (docs/security.md)",
    )
    public_url: str | None = Field(
        default=None,
        max_length=500,
        description="the address EHRs and browsers reach isocourse at (https://...): the "
        "audience of the EHR's CDS Hooks JWTs and the base of SMART launch links; default: "
        "the address each request arrived at",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for reminders")
    smtp_port: int = Field(default=587, gt=0, lt=65536, description="SMTP port")
    smtp_from: str | None = Field(default=None, description="the reminders' From address")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server needs one")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")

    @model_validator(mode="after")
    def _check_trusted_proxies(self) -> Settings:
        self.trusted_proxy_networks()  # a bad entry is refused at start-up, named
        return self

    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` parsed; ValueError naming a bad entry."""
        networks = []
        for entry in (part.strip() for part in self.trusted_proxies.split(",")):
            if entry:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as error:
                    raise ValueError(
                        f"ISOCOURSE_TRUSTED_PROXIES: {entry!r} is not an address or network"
                    ) from error
        return tuple(networks)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key.get_secret_value() == DEVELOPMENT_SECRET
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError(
                "production needs ISOCOURSE_SECRET_KEY: a secret of 32 characters or more"
            )
        return self

    def sqlalchemy_url(self) -> str:
        """The database URL: ISOCOURSE_DATABASE_URL, or SQLite under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'isocourse.sqlite3').as_posix()}"

    def today(self) -> date:
        """Today in the clinic's time zone (the only place the CLI reads the clock)."""
        return datetime.now(tz=ZoneInfo(self.timezone)).date()
