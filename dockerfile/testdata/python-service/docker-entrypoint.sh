#!/bin/sh
# Serves the app with gunicorn on $PORT (default 3000). Arguments replace the
# server command, e.g. `docker run IMAGE python -c 'import app'`.
set -e
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
exec gunicorn --bind "0.0.0.0:${PORT:-3000}" --workers "${WORKERS:-2}" "app:create_app()"
