-- Users and their API tokens.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    -- 1 to 150 letters (any script), digits and @.+-_; the service checks the characters.
    username      TEXT NOT NULL CHECK (char_length(username) BETWEEN 1 AND 150 AND username !~ '\s'),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Usernames are unique ignoring case.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the secret; the secret itself is never stored.
    token_hash   BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, id);
