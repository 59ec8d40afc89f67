from orders import create_app


def test_orders_empty():
    assert create_app().test_client().get("/orders").get_json() == {"orders": []}
