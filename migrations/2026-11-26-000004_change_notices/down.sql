DROP TRIGGER api_tokens_revoked ON api_tokens;
DROP TRIGGER users_password_changed ON users;
DROP TRIGGER users_username_changed ON users;
DROP TRIGGER teams_changed ON teams;
DROP TRIGGER team_members_changed ON team_members;
DROP FUNCTION notify_password_changed();
DROP FUNCTION notify_credentials_changed();
DROP FUNCTION notify_teams_changed();
