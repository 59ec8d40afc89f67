import pytest

from inventory.stock import OutOfStock, Stock


def test_receive_then_ship():
    s = Stock()
    s.receive("apple", 5)
    assert s.ship("apple", 2) == 3


def test_cannot_ship_more_than_in_stock():
    s = Stock()
    s.receive("pear", 1)
    with pytest.raises(OutOfStock):
        s.ship("pear", 2)


def test_api_declares_health_route():
    from inventory.api import app

    assert "/health" in {r.path for r in app.routes}
