import pytest

from notes import create_app


@pytest.fixture
def client():
    return create_app().test_client()


def test_health(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_add_and_list(client):
    assert client.post("/notes", json={"text": " buy milk "}).status_code == 201
    assert client.get("/notes").get_json() == {"notes": ["buy milk"]}


def test_rejects_empty_note(client):
    assert client.post("/notes", json={"text": "  "}).status_code == 400
