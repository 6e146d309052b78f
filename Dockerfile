# The saasmgr image: one image for web (gunicorn), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SAASMGR_VAR_DIR=/var/lib/saasmgr

# curl answers the container healthcheck.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/saasmgr saasmgr \
    && mkdir -p /var/lib/saasmgr \
    && chown saasmgr:saasmgr /var/lib/saasmgr

WORKDIR /app
# Requirements first, so a code change does not reinstall every dependency.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=saasmgr:saasmgr . .
USER saasmgr
EXPOSE 8000
CMD ["gunicorn", "saasmgr.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
