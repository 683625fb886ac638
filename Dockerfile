# Review Arena: one image for the webhook receiver (default), the Celery worker and beat.
#   docker build --build-arg APP_UID=$(id -u) -t review-arena .
#   docker run --env-file .env -p 8000:8000 -e GITHUB_PRIVATE_KEY_PATH=/run/secrets/github_app_key
#     -v "$PWD/github-app.private-key.pem:/run/secrets/github_app_key:ro" review-arena    (one command)
# docker-compose.yml runs the whole App (receiver, worker, beat, Redis, PostgreSQL, Flower) from this image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The private key written by `review-arena app register` is mode 0600; docker-compose.yml mounts it as a secret,
# which keeps the host owner, so the user here gets the host user's uid (`--build-arg APP_UID=$(id -u)`).
ARG APP_UID=1000
RUN useradd --uid "${APP_UID}" --create-home --shell /usr/sbin/nologin review-arena

WORKDIR /app
COPY pyproject.toml README.md ./
COPY prompts ./prompts
COPY bot ./bot
COPY workers ./workers
RUN pip install . && rm -rf /app/build

USER review-arena
# A writable working directory: the beat schedule file, and the SQLite default when DATABASE_URL is unset.
WORKDIR /home/review-arena
EXPOSE 8000

# python:3.11-slim has no curl; the standard library does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["review-arena", "serve", "--host", "0.0.0.0", "--port", "8000"]
