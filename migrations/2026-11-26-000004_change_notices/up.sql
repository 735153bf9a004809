-- Change notices for the caches each server instance keeps (`LISTEN
-- palette_api_changes`). PostgreSQL sends them at commit, once per distinct
-- payload per transaction, to every listening connection, so every instance
-- drops what a change made stale, whichever instance (or tool) made it.
--
-- 'teams': a membership, a team or a username changed; instances drop the
--          teams they cached for users (statement-level: one per statement).
-- 'user:<id>': a user's password changed, or one of their tokens was revoked,
--          or the account was deleted; instances drop that user's cached logins.

CREATE FUNCTION notify_teams_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'teams');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER team_members_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_teams_changed();

CREATE TRIGGER teams_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION notify_teams_changed();

CREATE TRIGGER users_username_changed
    AFTER UPDATE OF username OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_teams_changed();

CREATE FUNCTION notify_credentials_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'user:' || OLD.user_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION notify_password_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'user:' || OLD.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_password_changed
    AFTER UPDATE OF password_hash OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_password_changed();

CREATE TRIGGER api_tokens_revoked
    AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_credentials_changed();
