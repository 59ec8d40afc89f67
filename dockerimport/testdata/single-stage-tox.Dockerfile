FROM python:3.12
RUN pip install tox
COPY . /code
WORKDIR /code
RUN tox -e py312
USER 1000:1000
CMD ["python", "-m", "http.server", "9000"]
