"""Integrated tests: the repository code against the real PostgreSQL service.

The database is shared with other test runs (no reset between tests), so
every test makes its own data unique and tolerates notes it did not write.
"""

import os
import uuid

import psycopg
import pytest

from notes.repository import NotesRepository

DATABASE_URL = os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def repo():
    r = NotesRepository(DATABASE_URL)
    r.migrate()
    return r


def test_create_a_note(repo):
    note_contents = f"I'm a note, wee! {uuid.uuid4()}"

    note_id = repo.create(note_contents)["id"]

    with psycopg.connect(DATABASE_URL) as conn:
        saved = conn.execute("SELECT contents FROM notes WHERE id = %s", (note_id,)).fetchone()
    assert saved[0] == note_contents


def test_get_a_note_by_id(repo):
    created = repo.create(f"read me back {uuid.uuid4()}")

    assert repo.get(created["id"]) == created


def test_missing_note_is_none(repo):
    assert repo.get(2**31 - 1) is None


def test_all_notes_include_a_new_one(repo):
    created = repo.create(f"one of many {uuid.uuid4()}")

    assert created in repo.all()
