-- Palettes: a name and an ordered list of colours, owned by one team.
-- Colours are two parallel arrays (hex values and optional names) on the
-- palette row, so a page of palettes is read by one query.
CREATE TABLE palettes (
    id          BIGSERIAL PRIMARY KEY,
    team_id     BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255 AND name = btrim(name)),
    description TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    colors      TEXT[] NOT NULL DEFAULT '{}',
    color_names TEXT[] NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revision    INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    CHECK (cardinality(colors) <= 256),
    CHECK (cardinality(colors) = cardinality(color_names)),
    CHECK (array_to_string(colors, ',') ~ '^(#[0-9a-f]{6}([0-9a-f]{2})?(,|$))*$')
);
-- Palette names are unique ignoring case within a team.
CREATE UNIQUE INDEX palettes_team_name_lower_key ON palettes (team_id, lower(name));
CREATE INDEX palettes_team_id_idx ON palettes (team_id, id);
CREATE INDEX palettes_colors_idx ON palettes USING gin (colors);
