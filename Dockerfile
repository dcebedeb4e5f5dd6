# Slawatch: the web app under gunicorn (default command) or the scheduler (`slawatch worker`).
# Every start applies the database migrations first (deploy/docker-entrypoint.sh; set
# SLAWATCH_MIGRATE=0 where another container does it). tests/test_deploy.py runs the same install
# and entry commands in a fresh virtualenv.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md LICENSE app.py cli.py rules.yaml ./
COPY connectors ./connectors
COPY processors ./processors
COPY scheduler ./scheduler
COPY store ./store
COPY web ./web
COPY deploy/docker-entrypoint.sh /usr/local/bin/slawatch-entrypoint

# The project itself, not a package from an index: pyproject.toml bounds the versions (DL3013).
# hadolint ignore=DL3013
RUN pip install ".[charts]" \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin slawatch \
 && mkdir -p /data \
 && chown 10001:10001 /data

USER 10001:10001
ENV SLAWATCH_DATABASE_URL=sqlite:////data/slawatch.db \
    SLAWATCH_RULES=/app/rules.yaml
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

ENTRYPOINT ["slawatch-entrypoint"]
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "app:create_app()"]
