"""A small notes API: add a note, list them, and a health check."""

from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)
    notes: list[str] = []

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/notes")
    def list_notes():
        return jsonify(notes=notes)

    @app.post("/notes")
    def add_note():
        body = request.get_json(silent=True)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return jsonify(error='send a JSON body like {"text": "buy milk"}'), 400
        notes.append(text.strip())
        return jsonify(notes=notes), 201

    return app
