# SPDX-License-Identifier: Apache-2.0
# The comparison peer at the tutorial's limits: the original friendlyhello
# app (flask_app.py, ported to Python 3) on Debian's python3-flask and
# python3-redis, Flask's built-in server, as the tutorial runs it.
# Used by bench/hello/limits.sh only (build context: bench/hello).
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3-flask python3-redis \
 && rm -rf /var/lib/apt/lists/*
COPY flask_app.py /app/app.py
ENV NAME=World PORT=80 REDIS_HOST=redis
EXPOSE 80
CMD ["python3", "/app/app.py"]
