from src.app import app


def test_root():
    assert app.test_client().get("/").get_json() == {"message": "Hello World"}
