FROM python:3.12-slim AS uv
RUN pip download --no-deps --dest /tmp/w uv && mkdir /uv

FROM python:3.12-slim AS app
WORKDIR /app
COPY requirements.txt ./
RUN --mount=type=bind,from=uv,source=/uv,target=/opt/uv --mount=type=bind,from=uv,target=tools,rw /opt/uv/uv pip install --system -r requirements.txt
RUN --mount=type=bind,source=vendor.tar.gz,target=/tmp/v.tgz tar -xzf /tmp/v.tgz
RUN --mount=type=bind,from=alpine:3,target=/opt/alpine ls /opt/alpine
RUN --mount=type=bind,from=uv,source=/tmp,target=/opt/uv ls /opt/uv
CMD ["python", "-m", "app"]
