"""A small HTTP service: health, greetings and a sum endpoint."""

from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/greet/<name>")
    def greet(name: str):
        return jsonify(message=f"Hello, {name}!")

    @app.post("/sum")
    def total():
        body = request.get_json(silent=True)
        numbers = body.get("numbers") if isinstance(body, dict) else None
        if not isinstance(numbers, list) or not all(
            isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers
        ):
            return jsonify(error="send a JSON body like {\"numbers\": [1, 2, 3]}"), 400
        return jsonify(sum=sum(numbers))

    return app
