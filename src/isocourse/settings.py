"""One settings object: the only reader of environment variables.

Every variable is ``ISOCOURSE_<NAME>``. SQLite under the data directory is the
default database; see docs/deployment for production settings.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISOCOURSE_", extra="ignore")

    timezone: str = Field(default="UTC", description="the clinic's time zone: days are its days")
    data_dir: Path = Field(default=Path("isocourse-data"), description="where SQLite files live")

    def today(self) -> date:
        """Today in the clinic's time zone (the only place the CLI reads the clock)."""
        return datetime.now(tz=ZoneInfo(self.timezone)).date()
