# syntax=docker/dockerfile:1
# One image for every Together service (and for topic provisioning).
#
#   docker build -t together-app .
#   docker run -e SERVICE=pairing -e PAIRING_HOST=0.0.0.0 -e KAFKA_BOOTSTRAP_SERVERS=... \
#     -e PAIRING_DATABASE_URL=postgresql://pairing@host:5432/pairing -e PAIRING_DATABASE_PASSWORD_FILE=... \
#     -e KAFKA_SECURITY_PROTOCOL=SASL_SSL -e PAIRING_KAFKA_SASL_USERNAME=pairing -e PAIRING_KAFKA_SASL_PASSWORD_FILE=... together-app
#   docker run -e KAFKA_SASL_USERNAME=admin ... together-app python -m together_operator.provision --bootstrap kafka:9092
#
# docker-compose.yml shows every setting, each password a mounted secret file.
# SERVICE is registration, matching, pairing, scheduling or notifications; the container runs
# `python -m $SERVICE`, which waits for the database, migrates it and serves HTTP.
# Set <SERVICE>_HOST=0.0.0.0 (e.g. PAIRING_HOST): a service listens on 127.0.0.1 by default.
# No HEALTHCHECK here: the same image also runs one-shot commands (provisioning);
# docker-compose.yml checks each service's /readyz.

# A pinned release, not the floating 3.11-slim: 3.11.15 (March 2026) carries the mail library's fixes for
# header injection when serialising (CVE-2024-6923, completed by gh-144125 / CVE-2026-1299; and
# CVE-2025-11468). notifications/mail_headers.py refuses injected headers on any patch level too.
FROM python:3.11.15-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The runtime lock first (no test or development tools; every file's hash checked): this layer is
# rebuilt only when requirements.txt changes.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt && rm /tmp/requirements.txt

# The project's ten packages, non-editable and without dependency resolution (all pinned above):
# the libraries, the operator tools (provisioning, rebuild) and the development tools (docker-compose.yml
# runs the development identity provider from this image), and the five services.
# The sources are removed afterwards: only the installed packages (with their migrations) are used.
COPY libs/ /src/libs/
COPY services/ /src/services/
RUN pip install --no-cache-dir --no-deps \
        /src/libs/events \
        /src/libs/contracts \
        /src/libs/operator \
        /src/libs/servicekit \
        /src/libs/devtools \
        /src/services/registration \
        /src/services/matching \
        /src/services/pairing \
        /src/services/scheduling \
        /src/services/notifications \
    && rm -rf /src

# Non-root at run time; numeric, so a runtime can check it is not root (runAsNonRoot).
RUN groupadd --gid 10001 together \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /app --shell /usr/sbin/nologin together
WORKDIR /app
USER 10001:10001

ARG SERVICE=""
ENV SERVICE=${SERVICE}

EXPOSE 8000 8001 8002 8003 8004 8005

# exec: the service is PID 1 and gets SIGTERM directly (uvicorn shuts down gracefully).
CMD ["/bin/sh", "-c", "exec python -m \"${SERVICE:?set SERVICE to registration, matching, pairing, scheduling or notifications}\""]
