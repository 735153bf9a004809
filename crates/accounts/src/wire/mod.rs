//! Wire shapes of accounts, by API version; tokens look the same in both.

pub mod v1;
pub mod v2;

use api_versioning::ApiVersion;
use chrono::{DateTime, Utc};
use kernel::input::parse_id;
use kernel::{Field, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::{
    normalize_username, valid_username, Memberships, PasswordChange, Registration, Token, TokenSpec, User,
    PASSWORD_BYTES, TOKEN_LIFETIME_DAYS, TOKEN_NAME_MAX_CHARS, USERNAME_MAX_CHARS,
};

const INVALID_USERNAME: &str =
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

/// `user` with `teams` in `version`'s shape.
pub fn user(version: ApiVersion, user: &User, teams: &Memberships) -> Value {
    match version {
        ApiVersion::V1 => serde_json::to_value(v1::UserV1::new(user, teams)),
        ApiVersion::V2 => serde_json::to_value(v2::UserV2::new(user, teams)),
    }
    .unwrap_or(Value::Null)
}

// Each field has its own `#[serde(default)]` (absent is a `Field` too): on the
// struct, utoipa would document every field's default.

/// `POST /api/users/` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 1 to 150 letters (of any script), digits and `@.+-_`, after Unicode
    /// NFKC normalisation (fullwidth `ａｄｍｉｎ` is `admin`); unique ignoring
    /// case and look-alikes (UTS #39: `аdmin` in Cyrillic is `admin`'s).
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 150, pattern = r"^[\w.@+-]+$")]
    pub username: Field,
    /// 8 to 1024 bytes.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 1024)]
    pub password: Field,
}

impl RegisterRequest {
    /// The registration, or every field's problem in the seed's words.
    pub fn validate(&self) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = self.username.untrimmed("username", &mut errors).and_then(|s| {
            let s = &normalize_username(s);
            let problem = if s.chars().count() > USERNAME_MAX_CHARS {
                format!("Ensure this field has no more than {USERNAME_MAX_CHARS} characters.")
            } else if !valid_username(s) {
                INVALID_USERNAME.to_owned()
            } else {
                return Some(s.to_owned());
            };
            errors.add("username", problem);
            None
        });
        let password = self
            .password
            .password("password", PASSWORD_BYTES.0, PASSWORD_BYTES.1, &mut errors);
        match (username, password) {
            (Some(username), Some(password)) if errors.is_empty() => Ok(Registration { username, password }),
            _ => Err(errors),
        }
    }
}

/// `PUT /api/users/me/password/` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    /// The password now in use.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1)]
    pub current_password: Field,
    /// 8 to 1024 bytes.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 1024)]
    pub new_password: Field,
}

impl PasswordChangeRequest {
    /// The change, or every field's problem in the seed's words.
    pub fn validate(&self) -> Result<PasswordChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        let current = self
            .current_password
            .untrimmed("current_password", &mut errors)
            .map(str::to_owned);
        let new = self
            .new_password
            .password("new_password", PASSWORD_BYTES.0, PASSWORD_BYTES.1, &mut errors);
        match (current, new) {
            (Some(current), Some(new)) if errors.is_empty() => Ok(PasswordChange { current, new }),
            _ => Err(errors),
        }
    }
}

/// `POST /api/tokens/` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// A label, 1 to 100 characters.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100, pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$")]
    pub name: Field,
    /// Days until the token stops working (1 to 3650); never when absent or null.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub expires_in_days: Field,
}

impl TokenRequest {
    /// The token to create, or every field's problem in the seed's words.
    pub fn validate(&self) -> Result<TokenSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .string("name", true, TOKEN_NAME_MAX_CHARS, &mut errors)
            .flatten();
        let (shortest, longest) = TOKEN_LIFETIME_DAYS;
        let expires_in_days = match self.expires_in_days.value() {
            None | Some(Value::Null) => None,
            // Numbers only: unlike ids, a numeric string is refused here.
            Some(value) => {
                match parse_id(value).filter(|days| (shortest..=longest).contains(days) && value.is_number()) {
                    Some(days) => Some(days),
                    None => {
                        errors.add(
                            "expires_in_days",
                            format!("Ensure this value is a whole number from {shortest} to {longest}."),
                        );
                        None
                    }
                }
            }
        };
        match name {
            Some(name) if errors.is_empty() => Ok(TokenSpec { name, expires_in_days }),
            _ => Err(errors),
        }
    }
}

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Token id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, or null for never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A 2.0 page of API tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPageV2 {
    /// The tokens of this page, oldest first.
    pub items: Vec<TokenInfo>,
    /// The `cursor` of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

/// A new API token with its secret, shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// Token id.
    pub id: i64,
    /// Label.
    pub name: String,
    /// The secret: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, or null for never.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<&Token> for TokenInfo {
    fn from(token: &Token) -> Self {
        Self {
            id: token.id,
            name: token.name.clone(),
            created_at: token.created_at,
            expires_at: token.expires_at,
        }
    }
}

impl TokenCreated {
    /// The creation response for `token` with its `secret`.
    pub fn new(token: &Token, secret: String) -> Self {
        Self {
            id: token.id,
            name: token.name.clone(),
            token: secret,
            created_at: token.created_at,
            expires_at: token.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use kernel::input::{NOT_A_STRING, NOT_BLANK, REQUIRED};

    use super::*;

    fn read<T: serde::de::DeserializeOwned>(body: Value) -> T {
        serde_json::from_value(body).expect("any object reads")
    }

    fn properties<T: utoipa::PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).expect("a schema serializes")["properties"].clone()
    }

    #[test]
    fn documented_bounds_are_the_ones_the_request_types_check() {
        use crate::model::{PASSWORD_BYTES, TOKEN_LIFETIME_DAYS, TOKEN_NAME_MAX_CHARS, USERNAME_MAX_CHARS};
        let register = properties::<RegisterRequest>();
        assert_eq!(register["username"]["maxLength"], json!(USERNAME_MAX_CHARS));
        assert_eq!(register["password"]["minLength"], json!(PASSWORD_BYTES.0));
        assert_eq!(register["password"]["maxLength"], json!(PASSWORD_BYTES.1));
        assert_eq!(
            properties::<PasswordChangeRequest>()["new_password"]["maxLength"],
            json!(PASSWORD_BYTES.1)
        );
        let token = properties::<TokenRequest>();
        assert_eq!(token["name"]["maxLength"], json!(TOKEN_NAME_MAX_CHARS));
        assert_eq!(token["expires_in_days"]["minimum"], json!(TOKEN_LIFETIME_DAYS.0));
        assert_eq!(token["expires_in_days"]["maximum"], json!(TOKEN_LIFETIME_DAYS.1));
    }

    #[test]
    fn a_registration_reports_every_field_in_the_seed_words() {
        let errors = read::<RegisterRequest>(json!({"username": null, "id": 4}))
            .validate()
            .expect_err("refused");
        assert_eq!(
            errors.to_nested(),
            json!({"username": [NOT_A_STRING], "password": [REQUIRED]})
        );
        let errors = read::<RegisterRequest>(json!({"username": "a b", "password": "short"}))
            .validate()
            .expect_err("refused");
        assert_eq!(
            errors.to_nested(),
            json!({"username": [INVALID_USERNAME], "password": ["Ensure this field has at least 8 characters."]})
        );
        let ok = read::<RegisterRequest>(json!({"username": "ada", "password": " spaced out "}))
            .validate()
            .expect("valid");
        assert_eq!(ok.password, " spaced out ", "passwords are kept as sent");
    }

    #[test]
    fn a_password_change_needs_a_current_password() {
        let errors = read::<PasswordChangeRequest>(json!({"current_password": "", "new_password": 12345678}))
            .validate()
            .expect_err("refused");
        assert_eq!(
            errors.to_nested(),
            json!({"current_password": [NOT_BLANK], "new_password": [NOT_A_STRING]})
        );
    }

    #[test]
    fn token_expiry_takes_numbers_only_and_null_means_never() {
        let days = "Ensure this value is a whole number from 1 to 3650.";
        for expires in [json!("30"), json!(0), json!(3651), json!(1.5), json!(true)] {
            let errors = read::<TokenRequest>(json!({"name": "ci", "expires_in_days": expires}))
                .validate()
                .expect_err("refused");
            assert_eq!(errors.to_nested(), json!({"expires_in_days": [days]}), "{expires}");
        }
        let never = read::<TokenRequest>(json!({"name": "  ci  ", "expires_in_days": null}))
            .validate()
            .expect("valid");
        assert_eq!(
            never,
            TokenSpec {
                name: "ci".to_owned(),
                expires_in_days: None
            }
        );
        let month = read::<TokenRequest>(json!({"name": "ci", "expires_in_days": 30.0}))
            .validate()
            .expect("valid");
        assert_eq!(month.expires_in_days, Some(30));
    }
}
