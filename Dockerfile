# One image for every hubplan service; the compose file picks the module:
#   python -m services.scheduler | services.gateway | services.logistics
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# dependencies first, so a code change does not reinstall them
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY services ./services
RUN pip install ".[pictures]" \
    && useradd --system --uid 10001 --home-dir /data --create-home hubplan
USER hubplan
WORKDIR /data

# scheduler metrics, gateway HTTP (API and /metrics), logistics metrics
EXPOSE 9100 8080 9102
CMD ["python", "-m", "services.gateway"]
