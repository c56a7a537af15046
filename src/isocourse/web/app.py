"""Mount the pages and their static files on the application (called by ``create_app``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from isocourse.web import (
    access_pages,
    account_pages,
    admin_pages,
    auth_pages,
    clinic_pages,
    feeds,
    patient_pages,
    pharmacy_pages,
    planner_pages,
    smart_pages,
)

STATIC = Path(__file__).parent / "static"


def install_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth_pages,
        admin_pages,
        account_pages,
        clinic_pages,
        access_pages,
        pharmacy_pages,
        patient_pages,
        planner_pages,
        feeds,
        smart_pages,
    ):
        app.include_router(module.router)
