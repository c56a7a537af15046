"""A stand-in EHR for the tests, answering as an EHR sandbox does: SMART configuration,
an OAuth 2 authorization server (authlib: authorization code with PKCE, S256 required,
a public client) that puts the launch's patient in the token response, and a small FHIR
endpoint (Patient read, DocumentReference create and read). Served by werkzeug on a
loopback port in a thread, for one test."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

CLIENT_ID = "isocourse-test"
FHIR_JSON = "application/fhir+json"


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    redirect_uri: str

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    redirect_uri: str
    scope: str
    launch: str
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_auth_time(self) -> int:
        return int(time.time())

    def get_nonce(self) -> None:
        return None


@dataclass
class Sandbox:
    """The running EHR: its base URL, and what it holds and was asked."""

    base: str = ""
    patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    launches: dict[str, str] = field(default_factory=dict)  # launch -> patient id
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirect_uri: str = "http://testserver/smart/callback"

    @property
    def fhir(self) -> str:
        return f"{self.base}/fhir"


def _app(sandbox: Sandbox) -> Flask:
    app = Flask("ehr-sandbox")

    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

        def save_authorization_code(self, code: str, grant_request: Any) -> None:
            data = grant_request.payload.data
            sandbox.codes[code] = _Code(
                code,
                grant_request.payload.redirect_uri,
                grant_request.payload.scope,
                data.get("launch", ""),
                data.get("code_challenge"),
                data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Any) -> _Code | None:
            return sandbox.codes.get(code)

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            sandbox.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: _Code) -> dict[str, str]:
            return {"id": "practitioner-1"}

    def query_client(client_id: str) -> _Client | None:
        return _Client(sandbox.redirect_uri) if client_id == CLIENT_ID else None

    def save_token(token: dict[str, Any], grant_request: Any) -> None:
        sandbox.tokens[token["access_token"]] = token

    def generate_token(
        grant_type: str,
        client: Any,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        code = sandbox.codes.get(request.form.get("code", ""))
        patient = sandbox.launches.get(code.launch if code else "", "")
        return {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(24),
            "expires_in": 3600,
            "scope": scope or "",
            "patient": patient,
        }

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_token_generator("default", generate_token)

    @app.get("/fhir/.well-known/smart-configuration")
    def smart_configuration() -> Any:
        return jsonify(
            {
                "authorization_endpoint": f"{sandbox.base}/authorize",
                "token_endpoint": f"{sandbox.base}/token",
                "code_challenge_methods_supported": ["S256"],
                "capabilities": ["launch-ehr", "client-public", "context-ehr-patient"],
            }
        )

    @app.get("/authorize")
    def authorize() -> Any:  # the EHR's user is signed in already: it approves
        user = {"id": "practitioner-1"}
        grant = server.get_consent_grant(end_user=user)
        return server.create_authorization_response(grant=grant, grant_user=user)

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    def _authorised() -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in sandbox.tokens

    @app.get("/fhir/Patient/<patient_id>")
    def read_patient(patient_id: str) -> Any:
        if not _authorised():
            return jsonify({"resourceType": "OperationOutcome"}), 401
        found = sandbox.patients.get(patient_id)
        if found is None:
            return jsonify({"resourceType": "OperationOutcome"}), 404
        return app.response_class(_json(found), mimetype=FHIR_JSON)

    @app.post("/fhir/DocumentReference")
    def create_document() -> Any:
        if not _authorised():
            return jsonify({"resourceType": "OperationOutcome"}), 401
        document = dict(request.get_json(force=True))
        document["id"] = f"doc-{len(sandbox.documents) + 1}"
        sandbox.documents[document["id"]] = document
        return app.response_class(_json(document), status=201, mimetype=FHIR_JSON)

    @app.get("/fhir/DocumentReference/<document_id>")
    def read_document(document_id: str) -> Any:  # the tests' independent reader
        found = sandbox.documents.get(document_id)
        if found is None:
            return jsonify({"resourceType": "OperationOutcome"}), 404
        return app.response_class(_json(found), mimetype=FHIR_JSON)

    return app


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)


@contextmanager
def running_sandbox() -> Iterator[Sandbox]:
    """The EHR on 127.0.0.1 (a free port), stopped at the end."""
    sandbox = Sandbox()
    server = make_server("127.0.0.1", 0, _app(sandbox), threaded=True)
    sandbox.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sandbox
    finally:
        server.shutdown()
        thread.join(timeout=5)
