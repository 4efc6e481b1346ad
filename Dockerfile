# syntax=docker/dockerfile:1
# Floodgate's container image: `docker build -t floodgate .` from the repository root.
#
# Stages:
#   web      Node builds the fan page and the admin console (web/dist); the Rust
#            build embeds that folder (FLOODGATE_WEB_PREBUILT) instead of running npm.
#   chef     the Rust toolchain plus cargo-chef.
#   planner  reduces the workspace to a dependency recipe (recipe.json).
#   builder  builds the dependencies from the recipe alone (a layer that stays cached
#            until Cargo.toml/Cargo.lock change), then the floodgate binary.
#   runtime  Debian slim, no package added: the binary, a non-root user, /data.
#
# The runtime never writes outside /data (FLOODGATE_DATA_DIR): run it with a read-only
# root filesystem and a volume (or tmpfs/emptyDir) at /data. In the scaled-out mode
# (DATABASE_URL, REDIS_URL, FLOODGATE_SIGNING_KEY all set) /data stays empty but must
# still be writable: the server creates it at start.
#
# Base images are pinned by tag; pin them by digest as well in a release pipeline.

ARG RUST_IMAGE=rust:1.95.0-slim-bookworm
ARG NODE_IMAGE=node:20.19.5-bookworm-slim
ARG RUNTIME_IMAGE=debian:12.12-slim

FROM ${NODE_IMAGE} AS web
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/build.mjs ./
COPY web/src ./src
RUN node build.mjs --outdir /web-dist

FROM ${RUST_IMAGE} AS chef
RUN cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: cached until the recipe (manifests and lockfile) changes.
RUN cargo chef cook --release --locked --package server --recipe-path recipe.json
COPY . .
COPY --from=web /web-dist /web-dist
ENV FLOODGATE_WEB_PREBUILT=/web-dist
RUN cargo build --release --locked --package server --bin floodgate \
    && install -D -m 0755 target/release/floodgate /out/floodgate \
    && install -d -m 0750 -o 10001 -g 10001 /out/data

FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="floodgate" \
      org.opencontainers.image.description="Virtual waiting room and seat checkout" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/floodgate /usr/local/bin/floodgate
COPY --from=builder --chown=10001:10001 /out/data /data
# A numeric user (no passwd entry needed), so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /data
ENV FLOODGATE_LISTEN=0.0.0.0:8080 \
    FLOODGATE_DATA_DIR=/data \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
# The slim image has no curl or wget and the binary has no probe subcommand, so the
# check is bash's own /dev/tcp: an HTTP/1.0 GET of /healthz must answer 200. No
# package is added for it, and it works with a read-only root filesystem.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 2 status <&3 && [[ $status == *' 200 '* ]]"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/floodgate"]
