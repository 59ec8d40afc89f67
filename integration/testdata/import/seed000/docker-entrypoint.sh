#!/bin/sh
exec gunicorn --bind "0.0.0.0:${PORT:-3000}" src.app:app "$@"
