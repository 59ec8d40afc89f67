"""Notes stored in PostgreSQL."""

import psycopg
from psycopg.rows import dict_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id SERIAL PRIMARY KEY,
    contents TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

# Several app workers and test runs migrate the same database at once.
MIGRATION_LOCK = 2002


class NotesRepository:
    def __init__(self, database_url):
        self.database_url = database_url

    def _connect(self):
        return psycopg.connect(self.database_url, row_factory=dict_row, autocommit=True, connect_timeout=5)

    def migrate(self):
        with self._connect() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                conn.execute(SCHEMA)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    def ping(self):
        with self._connect() as conn:
            conn.execute("SELECT 1")

    def create(self, contents):
        with self._connect() as conn:
            return _note(conn.execute(
                "INSERT INTO notes (contents) VALUES (%s) RETURNING id, contents, created_at", (contents,)
            ).fetchone())

    def get(self, note_id):
        with self._connect() as conn:
            row = conn.execute("SELECT id, contents, created_at FROM notes WHERE id = %s", (note_id,)).fetchone()
        return _note(row) if row else None

    def all(self):
        with self._connect() as conn:
            rows = conn.execute("SELECT id, contents, created_at FROM notes ORDER BY id").fetchall()
        return [_note(r) for r in rows]


def _note(row):
    return {"id": row["id"], "contents": row["contents"], "created_at": row["created_at"].isoformat()}
