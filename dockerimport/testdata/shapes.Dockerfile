ARG PYTHON=python:3.11-slim-bookworm
FROM ${PYTHON} AS base
ARG APP_HOME=/srv/app
ENV APP_HOME=$APP_HOME PATH=/opt/venv/bin:$PATH
WORKDIR $APP_HOME
LABEL org.opencontainers.image.title="shapes"
COPY --chown=app:app requirements.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pypi,env=PIP_INDEX_URL \
    --mount=type=ssh \
    pip install -r requirements.txt
RUN <<EOF2
set -e
mkdir -p /data
EOF2
ADD vendor.tar.gz /opt/
COPY --exclude=*.pyc app ./app
SHELL ["/bin/bash", "-c"]
ONBUILD RUN echo hi

FROM base AS lint
RUN ruff check app || true

FROM base AS unit
COPY tests/ ./tests/
RUN python -m pytest tests -x && touch /ok

FROM base
COPY --from=unit /ok /ok
COPY --from=builder-image /usr/bin/tool /usr/local/bin/tool
USER 1000
EXPOSE 8000/tcp
HEALTHCHECK CMD curl -f http://localhost:8000/ready || exit 1
ENTRYPOINT ["python", "-m", "app"]
CMD ["--port", "8000"]
