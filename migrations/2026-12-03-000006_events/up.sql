-- Live events (crate `events`): an outbox that every change writes in its
-- own transaction, read by every server instance and streamed to clients.
--
-- Ids are handed out in commit order: a trigger takes a transaction-scoped
-- advisory lock before it draws the id, and the lock is held until the
-- writing transaction ends. A transaction that drew id 41 has committed (or
-- rolled back) before another can draw 42, so the rows a reader sees are
-- always every committed event up to the highest id it sees: reading
-- `id > last seen` never skips one that commits late. Domains write their
-- event as the last statement of the change, so the lock is held only for
-- that statement and the commit.
CREATE SEQUENCE events_id_seq;

CREATE TABLE events (
    id         BIGINT PRIMARY KEY,
    team_id    BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    -- The SSE `data:` line as sent: one line of JSON.
    data       TEXT NOT NULL,
    -- Users who receive it besides the team's members (an invitee, a member
    -- who just left, the members of a team just deleted).
    recipients BIGINT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_created_at ON events (created_at);

CREATE FUNCTION events_in_commit_order() RETURNS trigger AS $$
BEGIN
    -- 'events' in ASCII; the migrations' own lock is another key.
    PERFORM pg_advisory_xact_lock(111559182283891);
    NEW.id := nextval('events_id_seq');
    NEW.created_at := clock_timestamp();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_in_commit_order BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_in_commit_order();

-- A wake-up for every instance's reader, on the change-notice channel; the
-- payload is fixed (PostgreSQL folds equal payloads of one transaction).
CREATE FUNCTION notify_events_written() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'events');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_written AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_written();

-- The highest id pruned: a client resuming from an id below it missed
-- events and gets `reset`.
CREATE TABLE events_pruned (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    through  BIGINT NOT NULL
);
INSERT INTO events_pruned (through) VALUES (0);

-- One-time tickets that let a browser's EventSource open a stream. Only
-- the SHA-256 of the secret is kept, with the credential that asked for it
-- (a token's hash or a password hash's fingerprint), so that a stream opened
-- with it ends when that credential stops holding.
CREATE TABLE event_tickets (
    ticket_hash          BYTEA PRIMARY KEY,
    user_id              BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash           BYTEA,
    password_fingerprint BYTEA,
    expires_at           TIMESTAMPTZ NOT NULL,
    CHECK ((token_hash IS NULL) <> (password_fingerprint IS NULL))
);
CREATE INDEX event_tickets_expires_at ON event_tickets (expires_at);
