# VPN Flow Lab: one ASGI process (daphne) with SQLite and the in-memory channel layer by
# default; set DATABASE_URL and REDIS_URL to scale out (docker-compose.yml runs two of
# these behind Caddy with PostgreSQL and Redis). The container runs `./dev serve`, the
# same migrate + load scenarios + serve steps that `./dev run` ends with.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=0 \
    HOST=0.0.0.0 \
    PORT=8000 \
    LAB_DATA_DIR=/data

RUN useradd --create-home --uid 10001 lab \
    && mkdir -p /data \
    && chown lab:lab /data

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic imports settings, which need a SECRET_KEY when DEBUG is off; this
# throwaway key exists only for this build step and is not kept in the image. `./dev
# serve` runs it again at start (DEBUG=0), as user lab: it owns the directory.
RUN SECRET_KEY=collectstatic-build-step-only python manage.py collectstatic --noinput \
    && chown -R lab:lab staticfiles

USER lab
VOLUME ["/data"]
EXPOSE 8000
# /healthz is exempt from the https redirect; the Host header must be one ALLOWED_HOSTS
# accepts (its first entry, without a leading dot).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': h}), timeout=4)"
# Needs SECRET_KEY at run time: docker run -e SECRET_KEY=... (settings refuse to start without it).
CMD ["./dev", "serve"]
