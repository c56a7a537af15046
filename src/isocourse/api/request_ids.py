"""Every request gets an id: the caller's ``X-Request-ID`` when well formed, else a new
UUID. Routes read it as ``request.state.request_id`` (it goes into the audit trail);
the response carries it back in ``X-Request-ID``.

A plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` would run every request
through an extra task and a memory stream).
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_from(header: str | None) -> str:
    return header if header and _REQUEST_ID.match(header) else str(uuid.uuid4())


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
