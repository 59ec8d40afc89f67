from app.main import health, item


def test_health():
    assert health() == {"status": "ok"}


def test_item():
    assert item(3) == {"id": 3}
