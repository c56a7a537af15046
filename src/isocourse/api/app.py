"""``create_app(settings)``: the one place the API is wired. Nothing happens at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from isocourse.api import (
    auth_routes,
    cds_routes,
    clinic_routes,
    fhir_routes,
    interop_routes,
    patient_routes,
    pharmacy_routes,
    schema_routes,
)
from isocourse.api.denial_audit import DenialAudit
from isocourse.api.errors import install_error_handler
from isocourse.api.request_ids import RequestIds
from isocourse.api.request_limits import RequestLimits
from isocourse.api.security_headers import SecurityHeaders
from isocourse.auth.login_throttle import LoginThrottle
from isocourse.knowledge.loader import load_knowledge
from isocourse.service.context import ClinicSystem
from isocourse.settings import Settings
from isocourse.store.database import open_store
from isocourse.store.health import database_answers
from isocourse.web.app import install_pages
from isocourse.wiring import Wiring

API_PREFIX = "/api/v1"


def _utc_now() -> datetime:
    return datetime.now(tz=UTC)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = _utc_now,
    freeze_startup_heap: bool = False,
) -> FastAPI:
    """The API for ``settings``' database (already migrated: ``isocourse db upgrade``).
    ``freeze_startup_heap``: for a server process (see :func:`_freeze_startup_heap`)."""
    store = open_store(settings)
    wired = Wiring(
        settings, ClinicSystem(store, load_knowledge()), clock, LoginThrottle.of(settings)
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # sync routes and dependencies run on this pool (anyio's default is 40 threads)
        to_thread.current_default_thread_limiter().total_tokens = settings.server_threads
        if store.on_loop is not None:
            await store.on_loop.open()  # its connections open now, not on the first requests
        if freeze_startup_heap:
            _freeze_startup_heap()
        yield
        if store.on_loop is not None:
            await store.on_loop.close()  # its connections belong to this loop
        store.close()

    app = FastAPI(
        title="isocourse",
        version="1",
        description="Isotretinoin courses: the clinic's system of record. "
        "Supports a clinician's decision; does not replace it.",
        lifespan=lifespan,
    )
    app.state.wiring = wired
    install_error_handler(app)
    # refusals are audited inside the request id's middleware (their entries name it)
    app.add_middleware(DenialAudit, wiring=wired)
    app.add_middleware(RequestIds)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    for module in (auth_routes, patient_routes, pharmacy_routes, clinic_routes, interop_routes):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(schema_routes.router, prefix=API_PREFIX)
    app.include_router(fhir_routes.router)
    app.include_router(cds_routes.router)
    install_pages(app)
    app.add_api_route(
        "/health",
        _health,
        methods=["GET"],
        tags=["health"],
        responses={503: {"description": "the database does not answer"}},
    )
    return app


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment: the factory each worker process of
    ``isocourse serve --workers N`` calls (uvicorn imports it by name)."""
    return create_app(Settings(), freeze_startup_heap=True)


def _freeze_startup_heap() -> None:
    """Leave what startup built (the modules, the clinical knowledge, the app) out of
    the garbage collector's full collections from now on (``gc.freeze``). Each full
    collection otherwise walked all of it, found nothing to free and stopped the server
    for 130–180 ms, about once per 3,000 verifications per worker at 200/s: enough to
    put a round's 99th percentile over 50 ms (benchmarks/RESULTS.md, the verification's
    target). Startup's own garbage is collected first.
    """
    gc.collect()
    gc.freeze()


def _health(request: Request) -> JSONResponse:
    """Up, and the database answers."""
    wired: Wiring = request.app.state.wiring
    if not database_answers(wired.system.store):
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
