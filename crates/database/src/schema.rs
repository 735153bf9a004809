//! Diesel table declarations, kept in step with `migrations/` by hand.

diesel::table! {
    /// Registered users.
    users (id) {
        id -> Int8,
        username -> Text,
        password_hash -> Text,
        username_skeleton -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// API tokens; only the SHA-256 of each secret is kept.
    api_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Teams; a personal team has `personal_user_id` set.
    teams (id) {
        id -> Int8,
        name -> Text,
        personal_user_id -> Nullable<Int8>,
        personal -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// Memberships with a role, `owner` or `member`.
    team_members (team_id, user_id) {
        team_id -> Int8,
        user_id -> Int8,
        role -> Text,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    /// Pending invitations to join a team.
    invitations (id) {
        id -> Int8,
        team_id -> Int8,
        invitee_id -> Int8,
        inviter_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Palettes; `colors` and `color_names` are parallel arrays.
    palettes (id) {
        id -> Int8,
        team_id -> Int8,
        name -> Text,
        description -> Text,
        colors -> Array<Text>,
        color_names -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        revision -> Int4,
    }
}

diesel::table! {
    /// Secrets every server instance shares (`cursor`: the key list cursors are signed with).
    server_secrets (name) {
        name -> Text,
        secret -> Bytea,
    }
}

diesel::table! {
    /// The outbox of live events; ids are handed out in commit order.
    events (id) {
        id -> Int8,
        team_id -> Int8,
        kind -> Text,
        data -> Text,
        recipients -> Array<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The highest event id pruned (one row).
    events_pruned (only_row) {
        only_row -> Bool,
        through -> Int8,
    }
}

diesel::table! {
    /// One-time tickets for opening an event stream; only the secret's SHA-256 is kept.
    event_tickets (ticket_hash) {
        ticket_hash -> Bytea,
        user_id -> Int8,
        token_hash -> Nullable<Bytea>,
        password_fingerprint -> Nullable<Bytea>,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(invitations -> teams (team_id));
diesel::joinable!(palettes -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    event_tickets,
    events,
    events_pruned,
    invitations,
    palettes,
    team_members,
    teams,
    users,
);
