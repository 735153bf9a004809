//! Keyset pagination: `?limit=` and `?cursor=` parsing, opaque cursors and
//! the 1.0 `Link` header.
//!
//! Cursors are signed (HMAC-SHA256 with a [`CursorKey`] every instance reads
//! from the database at start and holds as app state), so a cursor the
//! server did not issue, an edited one included, is a 400 naming `cursor`.

use std::sync::{LazyLock, OnceLock};

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::Value;
use sha2::Sha256;

use crate::ApiError;

/// The key cursors are signed with: the same on every instance (the
/// database keeps it), read before the server accepts requests, or as soon
/// as the database answers when it did not at start. App state, shared by
/// every worker.
#[derive(Debug, Default)]
pub struct CursorKey(OnceLock<Box<[u8]>>);

impl CursorKey {
    /// A key not known yet; see [`CursorKey::set`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A key known from the start.
    pub fn with(key: &[u8]) -> Self {
        let holder = Self::new();
        holder.set(key);
        holder
    }

    /// Sets the key once it is read; later calls change nothing.
    pub fn set(&self, key: &[u8]) {
        let _ = self.0.set(key.into());
    }

    /// The key, once read.
    pub fn get(&self) -> Option<&[u8]> {
        self.0.get().map(AsRef::as_ref)
    }

    fn mac(&self, payload: &[u8]) -> Option<Hmac<Sha256>> {
        self.get().map(|key| mac(key, payload))
    }
}

/// The message of a 400 on `cursor`.
pub const INVALID_CURSOR: &str = "Invalid cursor: use the one from the previous page.";

/// Smallest and largest `?limit=`.
pub const LIMIT_RANGE: std::ops::RangeInclusive<i64> = 1..=1000;

/// The position after the last item of a page: the sort key values of that
/// item, ending with its id. Opaque to clients.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Vec<Value>);

const CURSOR_TAG: &str = "k1";

/// Bytes of HMAC-SHA256 a cursor carries.
const MAC_BYTES: usize = 16;

/// The key cursors are signed with, shared by every instance (see [`set_cursor_key`]).
static SHARED_KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// A key of this process alone, for cursors signed before the shared key is known.
static PROCESS_KEY: LazyLock<[u8; 32]> = LazyLock::new(|| {
    let mut key = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
});

/// Sets the key every instance signs cursors with (read from the database
/// at start). Until it is set, cursors are signed with a key of this process
/// alone, which it keeps accepting afterwards. Later calls change nothing.
pub fn set_cursor_key(key: &[u8]) {
    let _ = SHARED_KEY.set(key.to_vec());
}

fn mac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(payload);
    mac
}

impl Cursor {
    /// The token handed to clients: the keys as base64url JSON, a dot, and
    /// a truncated HMAC of them, so that a token the server did not issue
    /// (an edited one included) is refused.
    pub fn encode(&self) -> String {
        let payload = Value::Array(vec![Value::String(CURSOR_TAG.to_owned()), Value::Array(self.0.clone())]);
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let key = SHARED_KEY.get().map_or(&PROCESS_KEY[..], Vec::as_slice);
        let tag = mac(key, payload.as_bytes()).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]))
    }

    /// Reads a token this server issued; anything else is a 400 naming `cursor`.
    pub fn decode(token: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::field("cursor", "Invalid cursor: use the one from the previous page.");
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let signed_with = |key: &[u8]| mac(key, payload.as_bytes()).verify_truncated_left(&tag).is_ok();
        let issued = tag.len() == MAC_BYTES
            && (SHARED_KEY.get().is_some_and(|key| signed_with(key)) || signed_with(&PROCESS_KEY[..]));
        if !issued {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        match value {
            Value::Array(mut parts) if parts.len() == 2 && parts[0] == CURSOR_TAG => match parts.pop() {
                Some(Value::Array(keys)) if !keys.is_empty() => Ok(Self(keys)),
                _ => Err(invalid()),
            },
            _ => Err(invalid()),
        }
    }

    /// The token handed to clients, signed with `key` (see [`Cursor::encode`]);
    /// `None` while the key is not known.
    pub fn sign(&self, key: &CursorKey) -> Option<String> {
        let payload = Value::Array(vec![Value::String(CURSOR_TAG.to_owned()), Value::Array(self.0.clone())]);
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let tag = key.mac(payload.as_bytes())?.finalize().into_bytes();
        Some(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES])))
    }

    /// Reads a token signed with `key`; anything else is a 400 naming `cursor`.
    pub fn verify(token: &str, key: &CursorKey) -> Result<Self, ApiError> {
        let invalid = || ApiError::field("cursor", INVALID_CURSOR);
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let issued = tag.len() == MAC_BYTES
            && key
                .mac(payload.as_bytes())
                .is_some_and(|mac| mac.verify_truncated_left(&tag).is_ok());
        if !issued {
            return Err(invalid());
        }
        Self::from_payload(payload).ok_or_else(invalid)
    }

    fn from_payload(payload: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        match serde_json::from_slice::<Value>(&bytes).ok()? {
            Value::Array(mut parts) if parts.len() == 2 && parts[0] == CURSOR_TAG => match parts.pop() {
                Some(Value::Array(keys)) if !keys.is_empty() => Some(Self(keys)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The key at `index` as an integer, or a 400 naming `cursor`.
    pub fn int(&self, index: usize) -> Result<i64, ApiError> {
        self.0
            .get(index)
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::field("cursor", "Invalid cursor: use the one from the previous page."))
    }

    /// The key at `index` as a string, or a 400 naming `cursor`.
    pub fn string(&self, index: usize) -> Result<&str, ApiError> {
        self.0
            .get(index)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field("cursor", "Invalid cursor: use the one from the previous page."))
    }
}

/// `?limit=` and `?cursor=` of a list request.
#[derive(Debug, Clone, PartialEq)]
pub struct PageParams {
    /// How many items to return.
    pub limit: i64,
    /// Where the previous page ended, if this is not the first page.
    pub cursor: Option<Cursor>,
}

impl PageParams {
    /// Reads `limit` and `cursor` from query pairs; other keys are left to the caller.
    pub fn parse(query: &[(String, String)], default_limit: i64) -> Result<Self, ApiError> {
        let mut limit = default_limit;
        let mut cursor = None;
        for (key, value) in query {
            match key.as_str() {
                "limit" => {
                    limit = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| LIMIT_RANGE.contains(n))
                        .ok_or_else(|| {
                            ApiError::field("limit", "Ensure this value is a whole number from 1 to 1000.")
                        })?;
                }
                "cursor" => cursor = Some(Cursor::decode(value)?),
                _ => {}
            }
        }
        Ok(Self { limit, cursor })
    }

    /// How many rows to fetch: one more than the limit tells whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

/// Cuts the extra row fetched by [`PageParams::fetch_limit`]; returns the page
/// and the cursor of the next page, made from the last item kept.
pub fn split_page<T>(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> (Vec<T>, Option<Cursor>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(&cursor_of);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// The absolute URL of the next page: this request's URL with `cursor` set to `token`.
pub fn next_page_url(req: &HttpRequest, token: &str) -> String {
    let info = req.connection_info();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", token);
    format!("{}://{}{}?{}", info.scheme(), info.host(), req.path(), query.finish())
}

/// The `Link` header value pointing at the next page.
pub fn next_link_header(req: &HttpRequest, cursor: &Cursor) -> String {
    format!("<{}>; rel=\"next\"", next_page_url(req, &cursor.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor(vec![Value::from("Blues"), Value::from(42)]);
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
    }

    #[test]
    fn foreign_cursor_is_rejected() {
        assert!(Cursor::decode("not-a-cursor").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("[1,2]")).is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(r#"["k1",["a\u0000b",1]]"#)).is_err());
    }

    #[test]
    fn an_edited_or_unsigned_cursor_is_rejected() {
        let token = Cursor(vec![Value::from("id"), Value::from(42)]).encode();
        let (payload, tag) = token.split_once('.').expect("a signed token");
        let forged = URL_SAFE_NO_PAD.encode(r#"["k1",["id",43]]"#);
        assert!(Cursor::decode(&format!("{forged}.{tag}")).is_err(), "keys edited");
        assert!(Cursor::decode(payload).is_err(), "signature dropped");
        assert!(Cursor::decode(&format!("{payload}.")).is_err(), "empty signature");
        let mut flipped = URL_SAFE_NO_PAD.decode(tag).expect("base64");
        flipped[0] ^= 1;
        assert!(Cursor::decode(&format!("{payload}.{}", URL_SAFE_NO_PAD.encode(flipped))).is_err());
        assert!(Cursor::decode(&token).is_ok());
    }

    #[test]
    fn cursors_signed_before_the_shared_key_was_set_still_read() {
        let early = Cursor(vec![Value::from(7)]);
        let token = early.encode();
        set_cursor_key(b"a key every instance shares, 32+ bytes");
        assert_eq!(Cursor::decode(&token).ok(), Some(early.clone()));
        assert_eq!(Cursor::decode(&early.encode()).ok(), Some(early));
    }

    #[test]
    fn limit_outside_range_is_rejected() {
        for bad in ["0", "1001", "abc", "-1", ""] {
            let query = vec![("limit".to_owned(), bad.to_owned())];
            assert!(PageParams::parse(&query, 50).is_err(), "{bad} accepted");
        }
        let query = vec![("limit".to_owned(), "1000".to_owned())];
        assert_eq!(PageParams::parse(&query, 50).map(|p| p.limit).ok(), Some(1000));
    }
}
