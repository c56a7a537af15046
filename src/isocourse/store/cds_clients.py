"""The EHRs registered to call the CDS Hooks services (by their JWT issuer), and the
token ids each has used (a token is accepted once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from isocourse.store.tables import CdsClientRow, CdsTokenRow


@dataclass(frozen=True)
class StoredCdsClient:
    issuer: str
    clinic_id: str
    programme: str
    #: the issuer's public keys (a JWKS), or None when they are read from ``jwks_url``
    jwks: dict[str, Any] | None
    jwks_url: str | None
    fhir_server: str | None
    smart_client_id: str | None


def _stored(row: CdsClientRow) -> StoredCdsClient:
    return StoredCdsClient(
        row.issuer,
        row.clinic_id,
        row.programme,
        dict(row.jwks) if row.jwks is not None else None,
        row.jwks_url,
        row.fhir_server,
        row.smart_client_id,
    )


def save_cds_client(
    session: Session,
    *,
    issuer: str,
    clinic_id: str,
    programme: str,
    jwks: Mapping[str, Any] | None,
    jwks_url: str | None,
    fhir_server: str | None,
    smart_client_id: str | None,
    now: datetime,
) -> StoredCdsClient:
    """Register the issuer, or replace what is registered for it."""
    row = session.get(CdsClientRow, issuer)
    if row is None:
        row = CdsClientRow(issuer=issuer, created_at=now)
        session.add(row)
    row.clinic_id = clinic_id
    row.programme = programme
    row.jwks = dict(jwks) if jwks is not None else None
    row.jwks_url = jwks_url
    row.fhir_server = fhir_server
    row.smart_client_id = smart_client_id
    session.flush()
    return _stored(row)


def cds_client(session: Session, issuer: str) -> StoredCdsClient | None:
    row = session.get(CdsClientRow, issuer)
    return None if row is None else _stored(row)


def cds_clients(session: Session) -> list[StoredCdsClient]:
    """Every registered EHR, by issuer."""
    return [
        _stored(row) for row in session.scalars(select(CdsClientRow).order_by(CdsClientRow.issuer))
    ]


def cds_client_by_fhir_server(session: Session, fhir_server: str) -> StoredCdsClient | None:
    query = select(CdsClientRow).where(CdsClientRow.fhir_server == fhir_server)
    row = session.scalars(query).first()
    return None if row is None else _stored(row)


def remove_cds_client(session: Session, issuer: str) -> bool:
    """False when no EHR is registered with the issuer."""
    row = session.get(CdsClientRow, issuer)
    if row is None:
        return False
    session.delete(row)
    return True


def remember_token_id(
    session: Session, issuer: str, jti: str, *, expires_at: datetime, now: datetime
) -> None:
    """Keep the token id until it expires (those that have are forgotten now). A second
    use of one makes the flush fail with an ``IntegrityError`` (a unique pair)."""
    session.execute(delete(CdsTokenRow).where(CdsTokenRow.expires_at < now))
    session.add(CdsTokenRow(issuer=issuer, jti=jti, expires_at=expires_at))
    session.flush()
