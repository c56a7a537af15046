"""audit digests: each audit entry names the events it wrote, with a digest of each

``audit_entries.event_digests`` holds ``[[event id, kind, sha256], ...]`` for the
events the entry's transaction wrote (``[]`` when it wrote none); the entry's hash
covers it, and ``isocourse audit verify`` recomputes each digest from the stored
event. Entries written before this revision keep a null here: they name no events,
and verify counts them as predating the digests.

(Written beside revision 0004 of another branch: it follows 0003 here and is chained
after 0004 when both are merged.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_digests", sa.Text(), nullable=True))


def downgrade() -> None:
    """The digests go; the entries written since stay, but their hashes covered the
    digests, so the earlier revision's ``audit verify`` reports the first of them as
    changed. Refuse while any exist rather than leave a chain that reads as tampered."""
    connection = op.get_bind()
    entries = sa.table("audit_entries", sa.column("event_digests", sa.Text))
    written = connection.execute(
        sa.select(sa.func.count()).select_from(entries).where(entries.c.event_digests.is_not(None))
    ).scalar_one()
    if written:
        raise RuntimeError(
            f"{written} audit entries carry event digests; the earlier revision cannot "
            "verify them, so the database stays at revision 0005"
        )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("event_digests")
