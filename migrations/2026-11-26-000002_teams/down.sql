DROP TABLE invitations;
DROP TRIGGER team_members_delete_orphan_team ON team_members;
DROP FUNCTION delete_team_without_members();
DROP TABLE team_members;
DROP TABLE teams;
