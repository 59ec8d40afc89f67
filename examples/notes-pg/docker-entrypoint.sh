#!/bin/sh
# Serves the notes API with gunicorn on $HOST:$PORT (default 0.0.0.0:8000),
# against the database at $DATABASE_URL. Arguments replace the server
# command, e.g. `docker run IMAGE python -c 'import notes'`.
set -e
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
exec gunicorn --bind "${HOST:-0.0.0.0}:${PORT:-8000}" --workers "${WORKERS:-2}" "notes:create_app()"
