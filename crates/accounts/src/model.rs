//! Rows and domain types of accounts.

use chrono::{DateTime, Utc};
use database::schema::{api_tokens, users};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// A registered user, without credentials.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Unique ignoring case.
    pub username: String,
    /// When the user registered.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The user's `ETag`: it changes only if the user is replaced.
    pub fn etag(&self) -> String {
        let digest = Sha256::digest(format!(
            "{}\0{}\0{}",
            self.id,
            self.username,
            self.created_at.timestamp_micros()
        ));
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("\"u{hex}\"")
    }
}

/// What a login needs: the user and their password hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct Login {
    /// Primary key.
    pub id: i64,
    /// The stored spelling of the username.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A new user row.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Validated username.
    pub username: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// See [`username_skeleton`].
    pub username_skeleton: &'a str,
}

/// An API token as listed; the secret is never stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct Token {
    /// Primary key.
    pub id: i64,
    /// The owner's label for the token.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token row.
#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    /// Owner.
    pub user_id: i64,
    /// Label.
    pub name: &'a str,
    /// SHA-256 of the secret.
    pub token_hash: &'a [u8],
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The user a request is authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
}

/// Teams of a user as other domains report them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    /// The user's personal team.
    pub personal_team_id: Option<i64>,
    /// Every team the user belongs to, by id.
    pub team_ids: Vec<i64>,
}

/// Longest username, in characters.
pub const USERNAME_MAX_CHARS: usize = 150;

/// A username as the service knows it: Unicode NFKC, as the seed's
/// framework normalised them (fullwidth `ａｄｍｉｎ` is `admin`). Applied
/// before validation, uniqueness and login.
pub fn normalize_username(username: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    username.nfkc().collect()
}

/// The UTS #39 confusable skeleton of a (normalised) username, ignoring
/// case: usernames that look alike (`аdmin` with a Cyrillic `а`, `admin`)
/// have the same one, and the database keeps them unique.
pub fn username_skeleton(username: &str) -> String {
    unicode_security::confusable_detection::skeleton(&username.to_lowercase()).collect()
}

/// Whether a username is 1 to [`USERNAME_MAX_CHARS`] letters, digits and `@.+-_`.
pub fn valid_username(username: &str) -> bool {
    let count = username.chars().count();
    (1..=USERNAME_MAX_CHARS).contains(&count)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_'))
}

/// Shortest and longest password, in bytes.
pub const PASSWORD_BYTES: (usize, usize) = (8, 1024);

/// A registration that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// A valid username (see [`valid_username`]).
    pub username: String,
    /// The password, as sent, of [`PASSWORD_BYTES`].
    pub password: String,
}

/// A password change that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The password the user claims is theirs now (not blank).
    pub current: String,
    /// The password to set, of [`PASSWORD_BYTES`].
    pub new: String,
}

/// A token to create, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// Label, trimmed, 1 to [`TOKEN_NAME_MAX_CHARS`] characters.
    pub name: String,
    /// Days until it stops working (within [`TOKEN_LIFETIME_DAYS`]); never when `None`.
    pub expires_in_days: Option<i64>,
}

/// Longest token name, in characters.
pub const TOKEN_NAME_MAX_CHARS: usize = 100;

/// Shortest and longest token lifetime, in days.
pub const TOKEN_LIFETIME_DAYS: (i64, i64) = (1, 3650);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_nfkc_and_look_alikes_share_a_skeleton() {
        assert_eq!(normalize_username("ａｄｍｉｎ"), "admin");
        assert_eq!(normalize_username("ﬁle"), "file");
        assert_eq!(username_skeleton("аdmin"), username_skeleton("admin"));
        assert_eq!(username_skeleton("АDMIN"), username_skeleton("admin"));
        assert_eq!(username_skeleton("Admin"), username_skeleton("admin"));
        assert_ne!(username_skeleton("adrnin"), username_skeleton("bdmin"));
    }

    #[test]
    fn usernames_follow_the_seed_rules() {
        assert!(valid_username("alice"));
        assert!(valid_username("a.b+c-d_e@f"));
        assert!(valid_username(&"x".repeat(150)));
        assert!(!valid_username(&"x".repeat(151)));
        assert!(!valid_username(""));
        assert!(!valid_username("has space"));
        assert!(!valid_username("semi;colon"));
    }
}
