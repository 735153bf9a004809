//! Keyset pagination: `?limit=` and `?cursor=` parsing, opaque cursors and
//! the 1.0 `Link` header.
//!
//! Cursors are signed (HMAC-SHA256 with a [`CursorKey`] every instance reads
//! from the database at start and holds as app state), so a cursor the
//! server did not issue, an edited one included, is a 400 naming `cursor`.

use std::sync::OnceLock;

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
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

fn mac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(payload);
    mac
}

impl Cursor {
    /// The token handed to clients: the keys as base64url JSON, a dot, and
    /// a truncated HMAC of them with `key`, so that a token the server did not
    /// issue (an edited one included) is refused; `None` while the key is not
    /// known.
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
            .ok_or_else(|| ApiError::field("cursor", INVALID_CURSOR))
    }

    /// The key at `index` as a string, or a 400 naming `cursor`.
    pub fn string(&self, index: usize) -> Result<&str, ApiError> {
        self.0
            .get(index)
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field("cursor", INVALID_CURSOR))
    }
}

/// Cuts the extra row of a page fetched with `limit + 1` rows; returns the
/// page and the cursor of the next page, made from the last item kept.
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

/// The absolute URL of the next page: this request's URL with `cursor` set
/// to `token`. Its host is the request's own (`Host`, or HTTP/2's authority),
/// never a client's `X-Forwarded-Host`; its scheme is HTTPS when this server
/// serves TLS, or when a trusted proxy says so ([`crate::TrustForwardedProto`]).
pub fn next_page_url(req: &HttpRequest, token: &str) -> String {
    let trusted = req
        .app_data::<actix_web::web::Data<crate::TrustForwardedProto>>()
        .is_some_and(|trust| trust.0);
    let secure = req.app_config().secure() || (trusted && req.connection_info().scheme() == "https");
    let scheme = if secure { "https" } else { "http" };
    // A host that is not a bare `name[:port]` (markup, a path, user info)
    // never reaches the link: this server's own address does.
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| req.uri().authority().map(actix_web::http::uri::Authority::as_str))
        .filter(|host| !host.contains('@') && host.parse::<actix_web::http::uri::Authority>().is_ok())
        .unwrap_or_else(|| req.app_config().host())
        .to_owned();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", token);
    format!("{scheme}://{host}{}?{}", req.path(), query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_url_names_the_requests_host_only_when_it_is_a_host() {
        let url = |host: &str| {
            let req = actix_web::test::TestRequest::default()
                .uri("/api/teams?limit=1&cursor=old")
                .insert_header((actix_web::http::header::HOST, host))
                .to_http_request();
            next_page_url(&req, "new")
        };
        assert_eq!(
            url("api.example.com:8443"),
            "http://api.example.com:8443/api/teams?limit=1&cursor=new"
        );
        for forged in [
            "a.com>; rel=\"next\", <https://evil.example/x",
            "user@evil.example",
            "evil.example/path?",
            "",
        ] {
            assert!(
                url(forged).starts_with("http://localhost:8080/api/teams?"),
                "{forged}: {}",
                url(forged)
            );
        }
    }

    fn key() -> CursorKey {
        CursorKey::with(b"a key every instance shares, 32+ bytes")
    }

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor(vec![Value::from("Blues"), Value::from(42)]);
        let token = cursor.sign(&key()).expect("signed");
        assert_eq!(Cursor::verify(&token, &key()).ok(), Some(cursor));
    }

    #[test]
    fn foreign_cursor_is_rejected() {
        assert!(Cursor::verify("not-a-cursor", &key()).is_err());
        assert!(Cursor::verify(&URL_SAFE_NO_PAD.encode("[1,2]"), &key()).is_err());
        assert!(Cursor::verify(&URL_SAFE_NO_PAD.encode(r#"["k1",["a\u0000b",1]]"#), &key()).is_err());
    }

    #[test]
    fn an_edited_or_unsigned_cursor_is_rejected() {
        let token = Cursor(vec![Value::from("id"), Value::from(42)])
            .sign(&key())
            .expect("signed");
        let (payload, tag) = token.split_once('.').expect("a signed token");
        let forged = URL_SAFE_NO_PAD.encode(r#"["k1",["id",43]]"#);
        assert!(
            Cursor::verify(&format!("{forged}.{tag}"), &key()).is_err(),
            "keys edited"
        );
        assert!(Cursor::verify(payload, &key()).is_err(), "signature dropped");
        assert!(
            Cursor::verify(&format!("{payload}."), &key()).is_err(),
            "empty signature"
        );
        let mut flipped = URL_SAFE_NO_PAD.decode(tag).expect("base64");
        flipped[0] ^= 1;
        assert!(Cursor::verify(&format!("{payload}.{}", URL_SAFE_NO_PAD.encode(flipped)), &key()).is_err());
        assert!(Cursor::verify(&token, &key()).is_ok());
    }

    #[test]
    fn a_cursor_reads_only_with_the_key_it_was_signed_with() {
        let cursor = Cursor(vec![Value::from(7)]);
        let other = CursorKey::with(b"another deployment's key");
        let token = cursor.sign(&other).expect("signed");
        assert!(Cursor::verify(&token, &key()).is_err());
        assert!(
            Cursor(vec![Value::from(7)]).sign(&CursorKey::new()).is_none(),
            "no key, no cursor"
        );
        assert!(Cursor::verify(&token, &CursorKey::new()).is_err());
    }
}
