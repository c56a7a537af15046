"""The store: tables, the append-only event log, migrations, and the fold to a course record.

SQLite (WAL mode, a file under the data directory) is the embedded default;
PostgreSQL is the production engine (``ISOCOURSE_DATABASE_URL``). Nothing clinical
is updated in place or deleted: a correction is a new event marking an earlier one
entered in error.
"""
