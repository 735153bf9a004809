//! Entity tags: a small stable hash of what a client sees.

/// 64-bit FNV-1a: small, stable across builds and platforms (unlike
/// `DefaultHasher`), which is what an `ETag` needs; not a defence against
/// deliberate collisions, which an `ETag` does not need.
pub struct Fnv64(u64);

impl Fnv64 {
    /// The hash of nothing.
    pub fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    /// Adds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Adds an integer.
    pub fn write_i64(&mut self, value: i64) {
        self.write(&value.to_le_bytes());
    }

    /// Adds a string, length first, so that `("ab", "c")` and `("a", "bc")` differ.
    pub fn write_str(&mut self, value: &str) {
        self.write_i64(i64::try_from(value.len()).unwrap_or(i64::MAX));
        self.write(value.as_bytes());
    }

    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

/// An `If-Match` precondition: the entity tags a write may apply to. A plain
/// value, so that services check it inside their transaction without seeing
/// HTTP; its extractor reads the request header.
///
/// Every resource with an `ETag` honours it the same way, in both API
/// versions (1.0 sends no `ETag`s, but a 1.0 client that sends `If-Match`
/// gets it checked): `*` or the tag itself, compared strongly as RFC 9110
/// asks (a weak `W/` tag never matches); no header admits every state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// No precondition: every state is accepted.
    pub fn any() -> Self {
        Self(None)
    }

    /// The request's `If-Match`; a header that is not text matches no tag.
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        let header = req.headers().get(actix_web::http::header::IF_MATCH);
        Self(header.map(|value| value.to_str().unwrap_or_default().to_owned()))
    }

    /// Whether the precondition admits `etag`.
    pub fn allows(&self, etag: &str) -> bool {
        match &self.0 {
            None => true,
            Some(value) => value.split(',').map(str::trim).any(|tag| tag == "*" || tag == etag),
        }
    }
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`): the
/// client's copy is current and a `GET` answers 304. Compared weakly, as
/// RFC 9110 asks of `If-None-Match`.
pub fn none_match(req: &actix_web::HttpRequest, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    req.headers()
        .get_all(actix_web::http::header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}

/// Documents the header once for every operation that takes it (`params(IfMatch)`).
impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        vec![ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .description(Some(
                "The resource's `ETag` as read, in either API version: the change happens only if it is still \
                 current, else 412. `*` matches any state; without the header nothing is checked",
            ))
            .required(Required::False)
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))))
            .build()]
    }
}

impl actix_web::FromRequest for IfMatch {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    /// An empty `If-Match` names no state at all: a 400, not a 412.
    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let precondition = Self::of(req);
        let result = match &precondition.0 {
            Some(value) if value.split(',').all(|tag| tag.trim().is_empty()) => Err(crate::ApiError::field(
                "If-Match",
                "The If-Match header may not be empty: send the ETag as read, or leave the header out.",
            )
            .into()),
            _ => Ok(precondition),
        };
        std::future::ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::IfMatch;

    #[test]
    fn if_match_accepts_star_and_the_tag_compared_strongly() {
        let etag = "\"t1\"";
        assert!(IfMatch::any().allows(etag));
        assert!(IfMatch(Some("*".to_owned())).allows(etag));
        assert!(IfMatch(Some("\"t0\", \"t1\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some("W/\"t1\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some("\"t0\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some("".to_owned())).allows(etag));
    }
}
