"""Refuse oversized and deeply nested request bodies before any route reads them.

A body larger than ``max_body_bytes`` is answered 413 (by its Content-Length when
sent, else as soon as the stream passes the limit, without reading the rest). A
JSON body nested deeper than ``MAX_JSON_DEPTH`` arrays/objects is answered 422
naming the body, before a parser could recurse on it. Both answers use the API's
one error shape.
"""

from __future__ import annotations

import json
import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH: Final = 64
_JSON_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_A_BRACKET: Final = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING: Final = frozenset(b"[{")


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    """ASGI middleware: reads the body (up to the limit), checks it, replays it."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _refuse(send, 413, "BODY_TOO_LARGE", self._too_large())
            return
        try:
            body, last = await self._read(receive)
        except BodyTooLarge:
            await _refuse(send, 413, "BODY_TOO_LARGE", self._too_large())
            return
        if _is_json(scope) and json_depth_exceeds(body, MAX_JSON_DEPTH):
            message = f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels"
            await _refuse(send, 422, "INVALID_INPUT", message, field="body")
            return
        await self.app(scope, _replay(body, last, receive), send)

    def _too_large(self) -> str:
        return f"body: larger than {self.max_body_bytes} bytes"

    async def _read(self, receive: Receive) -> tuple[bytes, Message]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), message


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects in ``body`` nest deeper than ``limit`` (strings skipped)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in _OPENING else -1
        if depth > limit:
            return True
    return False


def _replay(body: bytes, last: Message, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        if last["type"] != "http.request":
            return last
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


def _is_json(scope: Scope) -> bool:
    return "json" in (_header(scope, b"content-type") or "").lower()


async def _refuse(send: Send, status: int, code: str, message: str, *, field: str = "body") -> None:
    payload = json.dumps({"error": {"code": code, "message": message, "field": field}})
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload.encode()})
