from src.app import app


def test_index():
    assert app.test_client().get("/").get_json() == {"service": "seed000"}
