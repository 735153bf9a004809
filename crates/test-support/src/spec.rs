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
