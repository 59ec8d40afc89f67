FROM python:3.12-slim AS builder
WORKDIR /build
COPY requirements.txt ./
RUN pip wheel -r requirements.txt -w /wheels

FROM python:3.12-slim AS runtime
WORKDIR /app
COPY --from=builder --chown=app:app /wheels /wheels
COPY --from=builder /build/requirements.txt /build/extra.cfg ./
RUN pip install --no-index --find-links /wheels -r requirements.txt
COPY --from=0 --exclude=*.log /build logs/
CMD ["python", "-m", "app"]
