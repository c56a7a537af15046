"""One settings object: the only reader of environment variables.

Every variable is ``ISOCOURSE_<NAME>``. SQLite under the data directory is the
default database; see docs/deployment for production settings.
"""

from __future__ import annotations

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
    token_minutes: int = Field(default=480, gt=0, le=24 * 60, description="bearer token lifetime")
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
