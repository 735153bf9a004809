//! Wire shapes of accounts, by API version; tokens look the same in both.

pub mod v1;
pub mod v2;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::Token;

/// `POST /api/users/` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 1 to 150 letters, digits and `@.+-_`; unique ignoring case.
    #[schema(min_length = 1, max_length = 150, pattern = r"^[\w.@+-]+$")]
    pub username: String,
    /// 8 to 1024 bytes.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
}

/// `PUT /api/users/me/password/` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    /// The password now in use.
    pub current_password: String,
    /// 8 to 1024 bytes.
    #[schema(min_length = 8, max_length = 1024)]
    pub new_password: String,
}

/// `POST /api/tokens/` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// A label, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Days until the token stops working (1 to 3650); never when absent or null.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
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
