"""Security headers on every response (pages, API, static files).

The Content-Security-Policy lets a page load scripts only from this server (the
vendored htmx) and never be framed; styles may also be inline (a few templates and
htmx's indicator style use them). The interactive API docs (``/docs``, ``/redoc``)
load their viewer from the jsDelivr CDN, so they get a policy allowing that.
HSTS is sent in production only (development runs on plain http://localhost).

``Cache-Control: no-store`` goes on every response but the static files (the API, the
pages, the PDF, the calendar, FHIR: any of them may carry a patient's data), replacing
whatever a route set: no browser, proxy or shared computer keeps a copy.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS: Final = ("/docs", "/redoc")
#: files that carry no patient data and may be cached
CACHEABLE_PATHS: Final = ("/static/",)
NO_STORE: Final = (b"cache-control", b"no-store")
HSTS: Final = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """ASGI middleware adding the headers unless a response already set them."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers_for(scope["path"])
        no_store = not scope["path"].startswith(CACHEABLE_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = list(message.get("headers", []))
                if no_store:
                    kept = [(n, v) for n, v in kept if n.lower() != NO_STORE[0]] + [NO_STORE]
                present = {name.lower() for name, _ in kept}
                extra = [(n, v) for n, v in headers if n not in present]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers_for(self, path: str) -> list[tuple[bytes, bytes]]:
        policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else PAGE_POLICY
        headers = {
            "content-security-policy": policy,
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if self.production:
            headers["strict-transport-security"] = HSTS
        return [(name.encode(), value.encode()) for name, value in headers.items()]
