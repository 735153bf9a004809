-- Change notices for the caches each server instance keeps (`LISTEN
-- palette_api_changes`, see `database::listen`). PostgreSQL sends them at
-- commit, once per distinct payload per transaction, to every listening
-- connection, so every instance drops what a change made stale, whichever
-- instance (or tool) made it. Payloads:
--
-- 'team:<id>'        the team's name or members changed, or it was deleted;
-- 'member:<user id>' the user joined or left a team, or changed role;
-- 'login:<user id>'  the user's password changed, one of their tokens was
--                    revoked, or the account was deleted;
-- 'all'              a table was truncated: drop everything.
--
-- Palette writes and new tokens send nothing.

CREATE FUNCTION notify_membership_changed() RETURNS trigger AS $$
BEGIN
    -- A registration makes the user's personal team with them in it: no
    -- cached entry can hold either yet, so it says nothing.
    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM teams t WHERE t.id = NEW.team_id AND t.personal_user_id = NEW.user_id
    ) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('palette_api_changes', 'team:' || OLD.team_id);
        PERFORM pg_notify('palette_api_changes', 'member:' || OLD.user_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('palette_api_changes', 'team:' || NEW.team_id);
        PERFORM pg_notify('palette_api_changes', 'member:' || NEW.user_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER team_members_changed
    AFTER INSERT OR UPDATE OR DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION notify_membership_changed();

CREATE FUNCTION notify_team_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'team:' || OLD.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER teams_changed
    AFTER UPDATE OF name OR DELETE ON teams
    FOR EACH ROW EXECUTE FUNCTION notify_team_changed();

CREATE FUNCTION notify_user_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        PERFORM pg_notify('palette_api_changes', 'login:' || OLD.id);
    END IF;
    -- A new username shows in the member lists of the user's teams.
    IF TG_OP = 'UPDATE' AND NEW.username IS DISTINCT FROM OLD.username THEN
        PERFORM pg_notify('palette_api_changes', 'team:' || m.team_id)
           FROM team_members m
          WHERE m.user_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_changed
    AFTER UPDATE OF username, password_hash OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_changed();

CREATE FUNCTION notify_token_revoked() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'login:' || OLD.user_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER api_tokens_revoked
    AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_revoked();

CREATE FUNCTION notify_truncated() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('palette_api_changes', 'all');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER team_members_truncated AFTER TRUNCATE ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_truncated();
CREATE TRIGGER teams_truncated AFTER TRUNCATE ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION notify_truncated();
CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_truncated();
CREATE TRIGGER api_tokens_truncated AFTER TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_truncated();
