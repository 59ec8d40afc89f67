"""Orders: a tiny Flask service whose dependencies come from poetry.lock."""

from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/orders")
    def orders():
        return jsonify(orders=[])

    return app
