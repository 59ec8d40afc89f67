# The B1/B2 baseline of the benchmark's lockfile shape (`go run ./bench
# -pipeline lock`): bench/python-service.Dockerfile, except that deps and
# test_deps copy and install the requirements files `stagebuild init`
# generates from the project's uv.lock (requirements.lock.txt,
# requirements-dev.lock.txt: every package pinned with its hashes) with
# `pip install --no-deps -r`, as bench/python-service-lock.stagebuild.yaml
# does. The harness generates both files at setup; neither is committed.
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
COPY requirements.lock.txt requirements.lock.txt
RUN --mount=type=cache,target=/root/.cache/pip python -m venv /opt/venv
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-deps -r requirements.lock.txt

FROM deps AS test_deps
COPY requirements-dev.lock.txt requirements-dev.lock.txt
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-deps -r requirements-dev.lock.txt

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
