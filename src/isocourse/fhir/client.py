"""Reading from and writing to an EHR's FHIR server and its OAuth endpoints, over HTTP.

The one place isocourse makes outgoing HTTP requests (httpx2): a CDS Hooks request's
missing prefetch (``fhirServer`` with ``fhirAuthorization``), an issuer's published
JWKS, a SMART launch's discovery and token exchange, and the DocumentReference written
back. Every call has a short timeout; every failure is a :class:`FhirReadError` with a
plain reason (never a stack trace to the caller).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx2

FHIR_JSON: Final = "application/fhir+json"
TIMEOUT_SECONDS: Final = 5.0


class FhirReadError(Exception):
    """The EHR did not answer as FHIR or OAuth requires (the message says how)."""


class EhrHttp:
    """An HTTP client for one request's calls to the EHR (``transport``: tests only)."""

    def __init__(self, transport: httpx2.BaseTransport | None = None) -> None:
        self._transport = transport

    def _client(self) -> httpx2.Client:
        return httpx2.Client(
            timeout=TIMEOUT_SECONDS, transport=self._transport, follow_redirects=False
        )

    def get_json(self, url: str, access_token: str | None = None) -> dict[str, Any]:
        headers = {"Accept": f"{FHIR_JSON}, application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        return self._send("GET", url, headers=headers)

    def post_form(self, url: str, form: Mapping[str, str]) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        return self._send("POST", url, headers=headers, data=dict(form))

    def post_json(self, url: str, body: Mapping[str, Any], access_token: str) -> dict[str, Any]:
        headers = {
            "Accept": FHIR_JSON,
            "Content-Type": FHIR_JSON,
            "Authorization": f"Bearer {access_token}",
        }
        return self._send("POST", url, headers=headers, json=dict(body))

    def _send(self, method: str, url: str, **options: Any) -> dict[str, Any]:
        if not url.startswith(("https://", "http://")):
            raise FhirReadError(f"not an http(s) URL: {url[:200]!r}")
        try:
            with self._client() as client:
                response = client.request(method, url, **options)
        except httpx2.HTTPError as error:
            raise FhirReadError(f"{method} {url[:200]}: {type(error).__name__}") from error
        if response.status_code >= 400:
            raise FhirReadError(f"{method} {url[:200]}: HTTP {response.status_code}")
        if not response.content:
            return {}
        try:
            found = response.json()
        except ValueError as error:
            raise FhirReadError(f"{method} {url[:200]}: the answer is not JSON") from error
        if not isinstance(found, dict):
            raise FhirReadError(f"{method} {url[:200]}: the answer is not a JSON object")
        return found
