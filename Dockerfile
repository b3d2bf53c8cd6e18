# traam-bot image: the bot only (no Synapse, no dev tools). Data and bot.yaml live in /data.
#   docker build -t traam-bot .
#   docker run -v "$PWD/data:/data" traam-bot            # runs with /data/bot.yaml
# In /data/bot.yaml, paths are relative to /data; the shipped directory is
# /app/config/traam.yaml (set `directory: /app/config/traam.yaml` or copy it into /data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY traam_bot/ traam_bot/
COPY migrations/ migrations/
COPY config/ config/
# Editable install on purpose: the code stays in /app, where the store finds
# /app/migrations (MIGRATIONS_DIR is resolved beside the package directory).
RUN pip install -e . \
    && useradd --create-home --uid 10001 traam \
    && mkdir -p /data \
    && chown traam:traam /data

USER traam
VOLUME /data
WORKDIR /data
ENTRYPOINT ["traam-bot"]
CMD ["run", "--config", "/data/bot.yaml"]
