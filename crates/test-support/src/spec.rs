//! Reading operations out of the served OpenAPI document.

use serde_json::{json, Value};

/// Statuses the server adds to every operation (content negotiation, body
/// limits, rate limits, an unavailable database): not the handlers' to list.
pub const SHARED_STATUSES: [u16; 5] = [406, 413, 415, 429, 503];

/// The operation `method path`, asserted to be documented under `tag` and
/// to accept both Basic and Bearer credentials.
pub fn secured_operation<'a>(spec: &'a Value, path: &str, method: &str, tag: &str) -> &'a Value {
    let operation = &spec["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    assert_eq!(operation["tags"], json!([tag]), "{method} {path}");
    assert_eq!(
        operation["security"],
        json!([{"basic": []}, {"bearer": []}]),
        "{method} {path}"
    );
    operation
}

/// The statuses an operation documents for itself, in document order,
/// without the [`SHARED_STATUSES`].
pub fn own_statuses(operation: &Value) -> Vec<u16> {
    operation["responses"]
        .as_object()
        .map(|responses| responses.keys().filter_map(|k| k.parse().ok()).collect::<Vec<u16>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|status| !SHARED_STATUSES.contains(status))
        .collect()
}

/// The operation `method path`, asserted to be a [`secured_operation`] under
/// `tag` that documents exactly `statuses` of its own (in document order),
/// with a body in both API versions for its first, success, status unless
/// that is a 204.
pub fn documented_operation<'a>(spec: &'a Value, path: &str, method: &str, tag: &str, statuses: &[u16]) -> &'a Value {
    let operation = secured_operation(spec, path, method, tag);
    assert_eq!(own_statuses(operation), statuses, "{method} {path}");
    if let Some(&success) = statuses.first().filter(|status| **status != 204) {
        for media_type in [crate::V1, crate::V2] {
            assert!(
                operation["responses"][success.to_string()]["content"][media_type]["schema"].is_object(),
                "{method} {path}: no {media_type} body"
            );
        }
    }
    operation
}
