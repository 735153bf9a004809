# palette-api tasks. `just --list` shows them; each is a plain command you can also run by hand.

# Serve the API on BIND_ADDR (default 127.0.0.1:8000), with a PostgreSQL to talk to.
run *args:
    scripts/dev run {{args}}

# Run every test against PostgreSQL (a private throwaway cluster when none answers).
test *args:
    scripts/dev test {{args}}

# Format the code.
fmt:
    cargo fmt --all

# Lint as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Create the database if missing and apply pending migrations.
migrate:
    cargo run -p server --bin palette-api -- migrate

# Load benchmark (needs oha or wrk): a release server on a fresh database.
bench *args:
    scripts/bench {{args}}

# CI as it runs on a clean clone.
ci:
    bash .ci/run
