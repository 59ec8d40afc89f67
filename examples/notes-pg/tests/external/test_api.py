"""External tests: HTTP against the service image, running as a service
beside this gate with its own PostgreSQL behind it."""

import os
import uuid

import httpx

APP_URL = os.environ["APP_URL"]


def test_health():
    assert httpx.get(f"{APP_URL}/health").json() == {"status": "ok"}


def test_store_and_retrieve_note():
    note_contents = f"a note {uuid.uuid4()}"

    create_result = httpx.post(f"{APP_URL}/notes/", json={"contents": note_contents})
    assert create_result.status_code == 201
    assert create_result.json()["contents"] == note_contents
    note_id = create_result.json()["id"]

    get_by_id_result = httpx.get(f"{APP_URL}/notes/{note_id}/")
    assert get_by_id_result.json()["contents"] == note_contents

    get_all_result = httpx.get(f"{APP_URL}/notes/")
    # The database is shared: find the new note among all notes.
    assert next(note for note in get_all_result.json() if note["id"] == note_id)


def test_missing_note_is_404():
    assert httpx.get(f"{APP_URL}/notes/{2**31 - 1}/").status_code == 404


def test_empty_note_is_rejected():
    assert httpx.post(f"{APP_URL}/notes/", json={"contents": " "}).status_code == 400
