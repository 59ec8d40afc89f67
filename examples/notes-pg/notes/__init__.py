"""A notes API on PostgreSQL.

POST /notes/ creates a note, GET /notes/<id>/ reads one, GET /notes/ lists
them all. The database is $DATABASE_URL.
"""

import os

from flask import Flask, jsonify, request

from notes.repository import NotesRepository


def create_app(database_url=None):
    app = Flask(__name__)
    repo = NotesRepository(database_url or os.environ["DATABASE_URL"])
    repo.migrate()

    @app.get("/health")
    def health():
        repo.ping()
        return {"status": "ok"}

    @app.post("/notes/")
    def create_note():
        body = request.get_json(silent=True) or {}
        contents = body.get("contents")
        if not isinstance(contents, str) or not contents.strip():
            return jsonify(error="contents must be a non-empty string"), 400
        return jsonify(repo.create(contents)), 201

    @app.get("/notes/<int:note_id>/")
    def get_note(note_id):
        note = repo.get(note_id)
        if note is None:
            return jsonify(error=f"no note {note_id}"), 404
        return jsonify(note)

    @app.get("/notes/")
    def list_notes():
        return jsonify(repo.all())

    return app
