FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm

# The system packages the app runs with: the "run" section of the one list.
COPY scripts/system-packages /tmp/system-packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(/tmp/system-packages list run) \
 && rm -rf /var/lib/apt/lists/* /tmp/system-packages \
 && useradd --create-home --uid 1000 motpub

WORKDIR /app
COPY pyproject.toml README.md wsgi.py gunicorn.conf.py ./
COPY src ./src
RUN pip install --no-cache-dir -e .
COPY templates ./templates
COPY static ./static
COPY --from=assets /build/node_modules/hls.js/dist/hls.light.min.js /build/node_modules/hls.js/dist/hls.min.js ./static/vendor/
COPY migrations ./migrations

# On SQLite the first start writes a random secret key to /data/secret_key (mode 0600);
# containers that do not share /data need one MOTPUB_SECRET_KEY.
ENV MOTPUB_DATA_DIR=/data MOTPUB_BIND=0.0.0.0:8000 PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown motpub /data
VOLUME /data
USER motpub
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
