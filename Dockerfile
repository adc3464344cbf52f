# The scaled-out shape: one image for the web and dispatcher processes.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STUDIO_DATA_DIR=/data

RUN groupadd --system studio && useradd --system --gid studio --home /app studio
WORKDIR /app

COPY . .
RUN pip install -e .
# Static files are collected at build time with throwaway values: the real secrets only
# ever come from the environment at run time.
RUN DEBUG=false SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only \
    STUDIO_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput \
 && mkdir -p /data && chown studio:studio /data

USER studio
EXPOSE 8000
CMD ["uvicorn", "studio.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "on", "--proxy-headers", \
     "--ws-per-message-deflate", "false", "--no-access-log"]
