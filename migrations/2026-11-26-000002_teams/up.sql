-- Teams, their members and pending invitations.
CREATE TABLE teams (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 150 AND name = btrim(name)),
    -- Set for a user's personal team; deleting the user deletes it.
    personal_user_id BIGINT UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    personal         BOOLEAN NOT NULL GENERATED ALWAYS AS (personal_user_id IS NOT NULL) STORED,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Team names are unique ignoring case among non-personal teams.
CREATE UNIQUE INDEX teams_name_lower_key ON teams (lower(name)) WHERE personal_user_id IS NULL;

CREATE TABLE team_members (
    team_id   BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id_idx ON team_members (user_id, team_id);

-- A team never outlives its last member: removing the last membership
-- (a member leaving, an account being deleted) deletes the team.
CREATE FUNCTION delete_team_without_members() RETURNS trigger AS $$
BEGIN
    DELETE FROM teams t
     WHERE t.id = OLD.team_id
       AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = OLD.team_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER team_members_delete_orphan_team
    AFTER DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION delete_team_without_members();

CREATE TABLE invitations (
    id         BIGSERIAL PRIMARY KEY,
    team_id    BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    invitee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inviter_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (team_id, invitee_id)
);
CREATE INDEX invitations_invitee_id_idx ON invitations (invitee_id, id);
