from app import app


def test_healthz():
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
