"""The JSON API (FastAPI) under ``/api/v1``: thin routes that parse, call a use case, render."""

from isocourse.api.app import create_app

__all__ = ["create_app"]
