# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
#
# The palette-api image: the release binary on Debian 12 slim, run as an
# unprivileged user.
#
#   docker build -t palette-api .
#
# Dependencies are compiled in a layer of their own (cargo-chef): it is rebuilt
# only when a Cargo.toml or Cargo.lock changes, not when the code does. The
# cargo registry lives in BuildKit cache mounts, so crates are downloaded once
# per builder. The Dockerfile frontend and both base images are pinned by
# digest (the tag is kept for readers); the builder's Debian release matches
# the runtime's, so the binary links against the same glibc.
ARG RUST_IMAGE=rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1
ARG RUNTIME_IMAGE=debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251

FROM ${RUST_IMAGE} AS chef
ARG CARGO_CHEF_VERSION=0.1.77
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

# The recipe: every manifest of the workspace and the lock file, nothing else.
FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
# Dependencies only: cached until the recipe changes.
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo chef cook --release --locked --recipe-path recipe.json -p server --bin palette-api
# The workspace: every crate (the console's files are embedded at build time)
# and the migrations (embedded too).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY migrations ./migrations
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo build --release --locked -p server --bin palette-api \
    && install -D -m 0755 target/release/palette-api /out/palette-api

FROM ${RUNTIME_IMAGE} AS runtime
# ca-certificates for TLS to PostgreSQL, the collector or Sentry; curl for the
# health check. The binary needs nothing else (rustls, no OpenSSL).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 palette \
    && useradd --system --uid 10001 --gid palette --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin palette
COPY --from=build /out/palette-api /usr/local/bin/palette-api
USER 10001:10001
ENV BIND_ADDR=0.0.0.0:8000 \
    LOG_FORMAT=json
EXPOSE 8000
# SIGTERM: in-flight requests get SHUTDOWN_TIMEOUT_SECS, event streams end at once.
STOPSIGNAL SIGTERM
# Liveness: the process answers. docker-compose.yml checks readiness (/readyz,
# the database answers) instead, which is what nginx's dependants wait for.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/healthz"]
ENTRYPOINT ["palette-api"]
CMD ["serve"]
