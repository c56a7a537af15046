"""Signed checkpoints of the audit trail's end, kept outside the database.

The hash chain catches a changed or removed entry in the middle, but not the end cut
off with the head row moved back to the new last entry (one ``DELETE`` and one
``UPDATE``, no hash to recompute). A checkpoint is the trail's end at one moment (how
many entries, the last one's id and hash, when), signed with an Ed25519 key (JWS,
``joserfc``) that lives in a file, not in the database. ``audit verify --checkpoint``
checks the signature with that key, then that the entry at that id still has that
hash and that the trail did not shrink: with the chain intact up to it, every entry
up to the checkpoint is as it was then.

The key file is a JWK (``{"kty": "OKP", "crv": "Ed25519", ...}``), made on first use
with mode 600. A copy holding only the public part (``d`` removed) verifies but
cannot sign.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from sqlalchemy.orm import Session

from isocourse.store.audit_chain import TrailHead, stored_entry_hash, trail_head

FORMAT: Final = "isocourse.audit-checkpoint/1"
ALGORITHM: Final = "Ed25519"


class CheckpointError(Exception):
    """A key or checkpoint file that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Checkpoint:
    """The trail's end at ``at``: ``entries`` entries, the last ``last_id`` with hash
    ``last_hash``."""

    format: str
    entries: int
    last_id: int
    last_hash: str
    at: str


def signing_key(path: Path) -> OKPKey:
    """The private key in ``path``; made there (mode 600) if the file does not exist."""
    if not path.exists():
        _make_key(path)
    key = _read_key(path)
    if not key.is_private:
        raise CheckpointError(f"{path} holds only a public key: it verifies, it cannot sign")
    return key


def verifying_key(path: Path) -> OKPKey:
    """The key in ``path`` (private or public only), which must exist."""
    if not path.exists():
        raise CheckpointError(
            f"no checkpoint key at {path}: give the file that signed the checkpoints"
        )
    return _read_key(path)


def key_id(key: OKPKey) -> str:
    """The key's RFC 7638 thumbprint (the same for its private and public forms)."""
    return str(key.thumbprint())


def make_checkpoint(head: TrailHead, now: datetime) -> Checkpoint:
    return Checkpoint(FORMAT, head.entries, head.last_id, head.last_hash, _utc(now))


def write_checkpoint(checkpoint: Checkpoint, key: OKPKey, out: Path) -> None:
    """Sign ``checkpoint`` into a new file ``out`` (never overwritten): the signed form
    (a compact JWS), and the same head readable beside it."""
    claims = asdict(checkpoint)
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode("utf-8")
    header = {"alg": ALGORITHM, "kid": key_id(key)}
    signed = jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])
    document = {"format": FORMAT, "head": claims, "key_id": key_id(key), "signed": signed}
    text = json.dumps(document, indent=2) + "\n"
    try:
        with out.open("x", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError as error:
        raise CheckpointError(f"{out} exists: a checkpoint is never overwritten") from error


def read_checkpoint(path: Path, key: OKPKey) -> Checkpoint:
    """The checkpoint in ``path``, its signature checked with ``key``; refused if the
    signature does not hold (another key, or the file was edited)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        signed = document["signed"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path} is not an isocourse audit checkpoint") from error
    try:
        verified = jws.deserialize_compact(signed, key, algorithms=[ALGORITHM])
    except JoseError as error:
        signer = document.get("key_id", "?") if isinstance(document, dict) else "?"
        raise CheckpointError(
            f"{path}: the signature does not verify with the key {key_id(key)} (the "
            f"checkpoint names key {signer}): signed with another key, or altered"
        ) from error
    claims = json.loads(verified.payload)
    checkpoint = _checkpoint_from(claims, path)
    if document.get("head") != claims:
        raise CheckpointError(f"{path}: the readable head differs from the signed one")
    return checkpoint


def check_against(session: Session, checkpoint: Checkpoint) -> list[str]:
    """What the trail in ``session`` lacks of ``checkpoint`` (nothing: it holds it)."""
    problems = []
    head = trail_head(session)
    stored = stored_entry_hash(session, checkpoint.last_id)
    if stored is None:
        problems.append(
            f"entry {checkpoint.last_id}, the last at the checkpoint of {checkpoint.at}, "
            "is missing: the trail was cut"
        )
    elif stored != checkpoint.last_hash:
        problems.append(
            f"entry {checkpoint.last_id} no longer has the hash it had at the checkpoint of "
            f"{checkpoint.at}: the trail was rewritten"
        )
    if head.entries < checkpoint.entries:
        problems.append(
            f"the trail holds {head.entries} entries, fewer than the {checkpoint.entries} "
            f"at the checkpoint of {checkpoint.at}: entries were removed"
        )
    if head.last_id < checkpoint.last_id:
        problems.append(
            f"the head points at entry {head.last_id}, before the checkpoint's last entry "
            f"{checkpoint.last_id}: the head was moved back"
        )
    return problems


def _checkpoint_from(claims: Any, path: Path) -> Checkpoint:
    try:
        checkpoint = Checkpoint(
            format=str(claims["format"]),
            entries=int(claims["entries"]),
            last_id=int(claims["last_id"]),
            last_hash=str(claims["last_hash"]),
            at=str(claims["at"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: the signed head is incomplete") from error
    if checkpoint.format != FORMAT:
        raise CheckpointError(f"{path}: format {checkpoint.format!r}, expected {FORMAT!r}")
    return checkpoint


def _make_key(path: Path) -> None:
    """A new Ed25519 key at ``path``, mode 600, never replacing one (written beside it,
    then linked into place: a concurrent first use finds a whole key or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = OKPKey.generate_key("Ed25519")
    text = json.dumps(key.as_dict(private=True)) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_key(path: Path) -> OKPKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key = OKPKey.import_key(data)
    except (OSError, ValueError, TypeError, KeyError, JoseError) as error:
        raise CheckpointError(f"{path} does not hold an Ed25519 key (JWK)") from error
    if data.get("crv") != "Ed25519":
        raise CheckpointError(f"{path} holds a {data.get('crv')} key; an Ed25519 key is needed")
    if key.is_private and os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise CheckpointError(
                f"{path} is readable by others (mode {mode:03o}): chmod 600 {path}"
            )
    return key


def _utc(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")
