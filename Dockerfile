# One image for every Tsunagi service; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY reference ./reference
COPY examples ./examples
RUN pip install --no-cache-dir -e . && useradd --system --uid 10001 tsunagi
USER tsunagi
ENV TSUNAGI_HOST=0.0.0.0 TSUNAGI_REFERENCE_DIR=/app/reference TSUNAGI_DATA_DIR=/tmp/tsunagi
ENTRYPOINT ["tsunagi"]
