//! Keyset pagination: `?limit=` and `?cursor=` parsing, opaque cursors and
//! the 1.0 `Link` header.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::ApiError;

/// Smallest and largest `?limit=`.
pub const LIMIT_RANGE: std::ops::RangeInclusive<i64> = 1..=1000;

/// The position after the last item of a page: the sort key values of that
/// item, ending with its id. Opaque to clients.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Vec<Value>);

const CURSOR_TAG: &str = "k1";

impl Cursor {
    /// The token handed to clients.
    pub fn encode(&self) -> String {
        let payload = Value::Array(vec![Value::String(CURSOR_TAG.to_owned()), Value::Array(self.0.clone())]);
        URL_SAFE_NO_PAD.encode(payload.to_string())
    }

    /// Reads a token this server issued; anything else is a 400 naming `cursor`.
    pub fn decode(token: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::field("cursor", "Invalid cursor: use the one from the previous page.");
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        // PostgreSQL text cannot hold NUL: such a key was never issued.
        if value.to_string().contains("\\u0000") {
            return Err(invalid());
        }
        match value {
            Value::Array(mut parts) if parts.len() == 2 && parts[0] == CURSOR_TAG => match parts.pop() {
                Some(Value::Array(keys)) if !keys.is_empty() => Ok(Self(keys)),
                _ => Err(invalid()),
            },
            _ => Err(invalid()),
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

/// The absolute URL of the next page: this request's URL with `cursor` replaced.
pub fn next_page_url(req: &HttpRequest, cursor: &Cursor) -> String {
    let info = req.connection_info();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", &cursor.encode());
    format!("{}://{}{}?{}", info.scheme(), info.host(), req.path(), query.finish())
}

/// The `Link` header value pointing at the next page.
pub fn next_link_header(req: &HttpRequest, cursor: &Cursor) -> String {
    format!("<{}>; rel=\"next\"", next_page_url(req, cursor))
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
    fn limit_outside_range_is_rejected() {
        for bad in ["0", "1001", "abc", "-1", ""] {
            let query = vec![("limit".to_owned(), bad.to_owned())];
            assert!(PageParams::parse(&query, 50).is_err(), "{bad} accepted");
        }
        let query = vec![("limit".to_owned(), "1000".to_owned())];
        assert_eq!(PageParams::parse(&query, 50).map(|p| p.limit).ok(), Some(1000));
    }
}
