-- Usernames are NFKC-normalised before validation, uniqueness and login
-- (fullwidth "ａｄｍｉｎ" is "admin"). Existing ones are brought to that form,
-- with their personal teams' names, unless another user already has the
-- normalised name (that rare account keeps its name and can still use a token).
WITH normalised AS (
    SELECT u.id, normalize(u.username, NFKC) AS username
    FROM users u
    WHERE u.username IS DISTINCT FROM normalize(u.username, NFKC)
      AND NOT EXISTS (
          SELECT 1 FROM users o
          WHERE o.id <> u.id AND lower(o.username) = lower(normalize(u.username, NFKC))
      )
)
UPDATE users SET username = normalised.username
FROM normalised WHERE users.id = normalised.id;

UPDATE teams SET name = users.username
FROM users
WHERE teams.personal_user_id = users.id AND teams.name <> users.username;

-- The UTS #39 confusable skeleton of the lowercased username: two usernames
-- that look alike ("аdmin" in Cyrillic beside "admin") have the same one.
-- Computed by the service (PostgreSQL has no confusables table); rows from
-- before this migration get theirs when the server starts.
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE UNIQUE INDEX users_username_skeleton_key ON users (username_skeleton);
