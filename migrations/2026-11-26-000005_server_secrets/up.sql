-- Secrets every server instance shares, made here so that a deployment
-- needs no configuration for them. 'cursor' signs list cursors, so that a
-- cursor the server did not issue is refused, whichever instance issued it.
CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY,
    secret BYTEA NOT NULL CHECK (octet_length(secret) >= 32)
);

-- gen_random_uuid() draws from PostgreSQL's strong random source: two give
-- 244 random bits, hashed to 32 bytes.
INSERT INTO server_secrets (name, secret)
VALUES ('cursor', sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));
