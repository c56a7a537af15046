"""The EHRs that may call the CDS Hooks services, and the check of their signed JWTs.

An EHR is registered by its JWT issuer (``isocourse cds-client add``) with its public
keys (a JWKS, stored, or the URL where the EHR publishes it) and the one clinic it
belongs to. Each call carries a JWT the EHR signed (CDS Hooks 2.0, "Trusting CDS
Clients"): ``iss`` a registered issuer, ``aud`` the URL of the service called, ``exp``
in the future, ``iat``, a ``jti`` never seen before from that issuer, and ``kid`` in the
header naming one of the issuer's keys; ES384 or RS384 only. Anything else is refused
(:class:`~isocourse.errors.NotAuthenticated`, HTTP 401), and nothing about the
refusal says which keys or issuers exist.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from isocourse.auth.roles import Actor
from isocourse.errors import InvalidInput, NotAuthenticated, NotFound
from isocourse.service.context import Call, ClinicSystem
from isocourse.store.cds_clients import (
    StoredCdsClient,
    cds_client,
    cds_client_by_fhir_server,
    cds_clients,
    remember_token_id,
    remove_cds_client,
    save_cds_client,
)
from isocourse.store.clinics import clinic_by_id

ALGORITHMS: Final = ("ES384", "RS384")
#: how far the EHR's clock may be ahead of ours (seconds) for ``iat``
CLOCK_SKEW_SECONDS: Final = 60
#: the longest a token may live: CDS Hooks asks for short-lived tokens (five minutes)
LONGEST_LIFETIME_SECONDS: Final = 3600
PROGRAMMES: Final = ("us-ipledge", "eu-ppp", "uk-mhra", "none")

JwksFetcher = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class EhrClient:
    """A registered EHR: who signs, for which clinic, under which programme."""

    issuer: str
    clinic_id: str
    programme: str
    fhir_server: str | None
    smart_client_id: str | None
    has_jwks_url: bool

    def call(self, request_id: str, now: datetime) -> Call:
        """The EHR's calls as an audited caller: ``ehr:<issuer>`` of its clinic."""
        actor = Actor(
            user_id=0, email=f"ehr:{self.issuer}"[:320], role="prescriber", clinic_id=self.clinic_id
        )
        return Call(actor=actor, request_id=request_id, today=now.date(), now=now)


def _client(stored: StoredCdsClient) -> EhrClient:
    return EhrClient(
        stored.issuer,
        stored.clinic_id,
        stored.programme,
        stored.fhir_server,
        stored.smart_client_id,
        stored.jwks_url is not None,
    )


def register_client(
    system: ClinicSystem,
    *,
    issuer: str,
    clinic_id: str,
    now: datetime,
    jwks: Mapping[str, Any] | None = None,
    jwks_url: str | None = None,
    programme: str = "us-ipledge",
    fhir_server: str | None = None,
    smart_client_id: str | None = None,
) -> EhrClient:
    """Register (or replace) an issuer. Exactly one of ``jwks`` and ``jwks_url``."""
    if not issuer.strip():
        raise InvalidInput("issuer", "empty")
    if (jwks is None) == (jwks_url is None):
        raise InvalidInput("keys", "give either a JWKS file or a JWKS URL")
    if jwks is not None:
        _public_keys(jwks)  # refuses a file that is not a usable JWKS
    for name, url in (("jwks_url", jwks_url), ("fhir_server", fhir_server)):
        if url is not None and not url.startswith(("https://", "http://")):
            raise InvalidInput(name, "must be an http(s) URL")
    if programme not in PROGRAMMES:
        raise InvalidInput("programme", f"one of {', '.join(PROGRAMMES)}")
    with system.store.transaction() as session:
        if clinic_by_id(session, clinic_id) is None:
            raise NotFound(f"no clinic {clinic_id!r}")
        stored = save_cds_client(
            session,
            issuer=issuer,
            clinic_id=clinic_id,
            programme=programme,
            jwks=jwks,
            jwks_url=jwks_url,
            fhir_server=fhir_server.rstrip("/") if fhir_server else None,
            smart_client_id=smart_client_id,
            now=now,
        )
        return _client(stored)


def list_clients(system: ClinicSystem) -> list[EhrClient]:
    with system.store.reading() as session:
        return [_client(stored) for stored in cds_clients(session)]


def remove_client(system: ClinicSystem, issuer: str) -> None:
    with system.store.transaction() as session:
        if not remove_cds_client(session, issuer):
            raise NotFound(f"no EHR registered with issuer {issuer!r}")


def client_for_fhir_server(session: Session, fhir_server: str) -> EhrClient | None:
    """The registered EHR whose FHIR server is ``fhir_server`` (a SMART launch's ``iss``)."""
    stored = cds_client_by_fhir_server(session, fhir_server.rstrip("/"))
    return None if stored is None else _client(stored)


def _public_keys(jwks: Mapping[str, Any]) -> KeySet:
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidInput("jwks", f"not a usable JWKS: {error}") from error
    if not keys.keys:
        raise InvalidInput("jwks", "the JWKS holds no key")
    return keys


class _JwksCache:
    """Keys fetched from an issuer's JWKS URL, kept five minutes (refetched sooner when a
    token names a key id the cached set does not hold)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[float, Mapping[str, Any]]] = {}

    def keys(self, url: str, kid: str | None, fetch: JwksFetcher) -> Mapping[str, Any]:
        kept = self._kept.get(url)
        fresh = kept is not None and time.monotonic() - kept[0] < 300
        if kept is not None and fresh and (kid is None or _holds(kept[1], kid)):
            return kept[1]
        fetched = fetch(url)
        self._kept[url] = (time.monotonic(), fetched)
        return fetched


def _holds(jwks: Mapping[str, Any], kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in jwks.get("keys", []))


JWKS_CACHE: Final = _JwksCache()


def authenticate(
    system: ClinicSystem,
    token: str | None,
    *,
    audience: str,
    now: datetime,
    fetch_jwks: JwksFetcher,
) -> EhrClient:
    """The registered EHR that signed ``token`` for ``audience``, or NotAuthenticated.
    Records the token's ``jti`` (a second use is refused)."""
    refused = NotAuthenticated("the EHR's JWT is missing, invalid, expired or replayed")
    if not token:
        raise refused
    try:  # read, not trusted: the issuer it names says whose keys must verify it
        unverified = jws.extract_compact(token.encode("ascii"))
        header = dict(unverified.headers())
        claims = json.loads(unverified.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise refused from error
    if not isinstance(claims, dict):
        raise refused
    issuer = claims.get("iss")
    kid = header.get("kid")
    if (
        not isinstance(issuer, str)
        or not isinstance(kid, str)
        or header.get("alg") not in ALGORITHMS
    ):
        raise refused
    with system.store.reading() as session:
        found = cds_client(session, issuer)
    if found is None:
        raise refused
    client, stored, url = _client(found), found.jwks, found.jwks_url
    try:
        jwks = stored if stored is not None else JWKS_CACHE.keys(str(url), kid, fetch_jwks)
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        verified = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
        epoch = int(now.timestamp())
        jwt.JWTClaimsRegistry(
            now=epoch,
            leeway=CLOCK_SKEW_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
        ).validate(verified.claims)
    except (JoseError, ValueError, TypeError, KeyError, OSError) as error:
        raise refused from error
    expires = verified.claims["exp"]
    if not isinstance(expires, int) or expires - epoch > LONGEST_LIFETIME_SECONDS:
        raise refused
    _remember_token_id(system, issuer, str(verified.claims["jti"]), expires, now)
    return client


def _remember_token_id(
    system: ClinicSystem, issuer: str, jti: str, expires: int, now: datetime
) -> None:
    refused = NotAuthenticated("the EHR's JWT is missing, invalid, expired or replayed")
    if not jti or len(jti) > 200:
        raise refused
    try:
        with system.store.transaction() as session:
            expires_at = datetime.fromtimestamp(expires, tz=UTC)
            remember_token_id(session, issuer, jti, expires_at=expires_at, now=now)
    except IntegrityError as error:
        raise refused from error
