# The B1/B2 baseline of the stagebuild benchmark: the hand-written
# multi-stage Dockerfile equivalent of examples/python-service/stagebuild.yaml
# (seed 000's final topology). Same base, env, venv, pip cache mount and
# files. service copies a marker that tests writes after pytest passed, so
# `--opt target=service` cannot prune the tests (moby/buildkit#625).
#
#   deps ── test_deps ── tests_builder ── localdev
#     │                       └── tests (writes /marker)
#     └── builder ── service (COPY --from=tests /marker)

FROM python:3.11-slim-bookworm AS deps
WORKDIR /app
ENV VIRTUAL_ENV=/opt/venv
ENV PATH=/opt/venv/bin:$PATH
ENV PYTHONPATH=/app
ENV PYTHONDONTWRITEBYTECODE=1
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip python -m venv /opt/venv
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt

FROM deps AS test_deps
COPY test_requirements.txt test_requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip pip install -r test_requirements.txt

FROM deps AS builder
COPY app app

FROM test_deps AS tests_builder
COPY app app
COPY tests tests

FROM tests_builder AS tests
RUN pytest -q -p no:cacheprovider tests && touch /marker

FROM tests_builder AS localdev
ENTRYPOINT ["pytest"]
CMD ["tests"]

FROM builder AS service
COPY docker-entrypoint.sh docker-entrypoint.sh
COPY --from=tests /marker /marker
ENTRYPOINT ["/app/docker-entrypoint.sh"]
EXPOSE 3000
LABEL org.opencontainers.image.title=python-service
