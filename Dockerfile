# The production image: web (gunicorn), worker and beat all run from it.
# docs/deployment.md explains how to run it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries (Pango, HarfBuzz with its subsetter, fontconfig), gettext for
# compilemessages, and a CJK font so rendered PDFs carry Chinese glyphs on an intranet
# host that has no fonts of its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        shared-mime-info \
        gettext \
        fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Translations and static files are built into the image. collectstatic runs in
# production mode (whitenoise's compressed manifest storage) with a throwaway key
# that exists only for this step; the running containers must be given their own.
RUN mkdir -p locale \
    && python manage.py compilemessages --ignore=.venv --ignore=var -v 0 \
    && DJANGO_ENV=production \
       SECRET_KEY=build-time-only-key-never-used-at-runtime-0123456789 \
       ALLOWED_HOSTS=build.invalid \
       python manage.py collectstatic --noinput -v 0

# A non-root user. /data/media is created and owned here so that a named volume
# mounted on it starts out writable by that user.
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /data/media \
    && chown -R app:app /data

USER app

ENV DJANGO_ENV=production \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

EXPOSE 8000

# gunicorn reads the worker count from WEB_CONCURRENCY itself; further options can be
# given in GUNICORN_CMD_ARGS (e.g. "--timeout 60").
CMD ["gunicorn", "config.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm"]
