# Optimizer Playground: docker build -t optplay . && docker run -p 8000:8000 optplay
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# uvicorn drops a WebSocket frame over 512 KiB (twice OPTPLAY_MAX_BODY_BYTES) unread.
ENV UVICORN_WS_MAX_SIZE=524288
# glibc malloc: two arenas, and blocks of 128 KiB or more (answers, grids) mapped apart
# and given back when freed: the worker's memory stays near its working set
# (bench/soak.py: ~90 MB less after a few minutes of mixed load).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /srv/optplay

COPY pyproject.toml README.md ./
COPY app ./app
COPY optplay ./optplay
COPY static ./static
COPY templates ./templates
RUN pip install . \
    && useradd --create-home --uid 10001 optplay
USER optplay

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
