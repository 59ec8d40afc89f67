FROM python:3.12-slim AS app
ARG UID=1000
WORKDIR /app
COPY --chown=${UID}:app --chmod=640 requirements.txt ./
COPY --chmod=u+x app ./app
ADD --chown=app --exclude=*.md --exclude=tests app/ /opt/app/
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 vendor.tar.gz /opt/
ADD --chmod=755 --checksum=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa https://example.com/tool-1.0.tar.gz /opt/tool/
ADD https://example.com/unpinned.txt /opt/
CMD ["python", "-m", "app"]
