# traam-bot image: the bot alone (no Synapse, no dev tools, no sources). README « Déploiement ».
#   docker build -t traam-bot .
#   docker run -d --name traam-bot --restart unless-stopped --stop-timeout 30 \
#     --env-file /etc/traam-bot.env -v /srv/traam-bot:/data traam-bot
# /data holds bot.yaml (start from deploy/bot.yaml: its relative paths put the SQLite
# database and the key store right in /data, and it turns on the /health listener that
# HEALTHCHECK asks), the database and the key store. The bot runs as uid 10001: the host
# folder must be theirs (chown 10001:10001 /srv/traam-bot).
# deploy/check-image-steps.sh replays these steps without a container engine (CI).

# ---- build: the wheel, from the sources (nothing of this stage reaches the image but it)
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# traam_bot/resources links to migrations/ and config/traam.yaml: the build copies them in.
COPY pyproject.toml README.md ./
COPY traam_bot/ traam_bot/
COPY migrations/ migrations/
COPY config/traam.yaml config/
RUN pip wheel --no-deps --wheel-dir /dist .

# ---- the image: locked dependencies (hashes checked), then the wheel; no compiler, no sources
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY deploy/requirements.lock /tmp/requirements.lock
COPY --from=build /dist/ /tmp/dist/
RUN pip install --require-hashes --no-deps -r /tmp/requirements.lock \
    && pip install --no-deps /tmp/dist/traam_bot-*.whl \
    && pip check \
    && rm -rf /tmp/dist /tmp/requirements.lock \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin traam \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data

USER 10001:10001
WORKDIR /data
VOLUME /data
# `run` stops cleanly on SIGTERM (state saved, nothing owed lost): give it the time to.
STOPSIGNAL SIGTERM
# Needs the listener on in /data/bot.yaml (`http: {bind: 127.0.0.1, port: 9464}`, as in
# deploy/bot.yaml); 503 (sync, database or outbox late) fails the check.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/health', timeout=5)"]
ENTRYPOINT ["traam-bot"]
CMD ["run", "--config", "/data/bot.yaml"]
