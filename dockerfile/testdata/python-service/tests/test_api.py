import pytest

from app import create_app


@pytest.fixture()
def client():
    return create_app().test_client()


def test_health(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_greet(client):
    resp = client.get("/greet/ada")
    assert resp.status_code == 200
    assert resp.get_json() == {"message": "Hello, ada!"}


def test_sum(client):
    resp = client.post("/sum", json={"numbers": [1, 2, 3.5]})
    assert resp.status_code == 200
    assert resp.get_json() == {"sum": 6.5}


@pytest.mark.parametrize("body", [None, {}, {"numbers": "12"}, {"numbers": [1, "2"]}, {"numbers": [True]}])
def test_sum_rejects_bad_input(client, body):
    resp = client.post("/sum", json=body) if body is not None else client.post("/sum", data="x")
    assert resp.status_code == 400
    assert "numbers" in resp.get_json()["error"]
