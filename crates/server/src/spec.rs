//! The OpenAPI document as served at `/api/openapi.json`.
//!
//! utoipa builds it from the handlers' annotations, which name only what is
//! particular to each operation; this module is the one place that adds what
//! every operation shares (the 406 of negotiation, the 413/415/400 of body
//! reading, the 401/429 of authentication, the 400 of a list's `limit` and
//! `cursor`, the 503 of an unavailable database, and the error body of each
//! version), orders each operation's responses by status, and serves it for the
//! version a client asks for: with `Accept: application/vnd.photoroom+json;
//! version=X` only that version's media types are described, so a tool
//! checking responses against the spec sees the one shape it gets; without
//! one, both versions are described, 1.0 first as it is the default.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use api_versioning::render::PROBLEM_MEDIA_TYPE as PROBLEM;
use api_versioning::{
    negotiate, ApiVersion, SUPPORTED_VERSIONS, V1_MEDIA_TYPE as V1, V2_MEDIA_TYPE as V2, VENDOR_MEDIA_TYPE,
};
use serde_json::{json, Map, Value};
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

fn error_schemas() -> Value {
    json!({
        "ErrorV1": {
            "description": "A 1.0 error: `{\"detail\": message}`, or messages by field \
                (`{\"field\": [\"message\"]}`; list items by index: `{\"colors\": {\"2\": [\"message\"]}}`).",
            "type": "object",
            "additionalProperties": true
        },
        "Problem": {
            "description": "A 2.0 error, an RFC 9457 problem document; `errors` lists messages by field.",
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
            }
        },
        "NotAcceptable": {
            "description": "No acceptable representation: the versions this server speaks.",
            "type": "object",
            "required": ["detail", "supported_versions"],
            "properties": {
                "detail": {"type": "string"},
                "supported_versions": {"type": "array", "items": {"type": "string"}}
            }
        }
    })
}

fn error_content() -> Value {
    json!({
        V1: {"schema": {"$ref": "#/components/schemas/ErrorV1"}},
        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
    })
}

fn retry_after() -> Value {
    json!({"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}})
}

fn add_response(responses: &mut Map<String, Value>, status: &str, response: Value) {
    responses.entry(status.to_owned()).or_insert(response);
}

fn complete_operation(path: &str, operation: &mut Value) {
    let api = path.starts_with("/api/");
    let has_body = operation.get("requestBody").is_some();
    let secured = operation.get("security").is_some();
    // Lists take `api_versioning::paging::Page`, documented by its own `IntoParams`.
    let paged = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|parameters| parameters.iter().any(|p| p["name"] == "cursor" && p["in"] == "query"));
    // Operations with a precondition take `kernel::IfMatch`, documented by its own `IntoParams`.
    let conditional = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|parameters| {
            parameters
                .iter()
                .any(|p| p["name"] == "If-Match" && p["in"] == "header")
        });
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    if paged {
        add_response(responses, "400", json!({"description": "Invalid limit or cursor"}));
    }
    if conditional {
        add_response(responses, "400", json!({"description": "An empty `If-Match`"}));
    }
    if api {
        add_response(
            responses,
            "406",
            json!({
                "description": "An unknown version, or an `Accept` that admits no JSON type",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotAcceptable"}}}
            }),
        );
        add_response(
            responses,
            "503",
            json!({"description": "The database is unavailable; retry later", "headers": retry_after()}),
        );
        if secured {
            add_response(responses, "401", json!({"description": "Missing or wrong credentials"}));
            add_response(
                responses,
                "429",
                json!({"description": "Too many failed logins from this client or for this username", "headers": retry_after()}),
            );
        }
        if has_body {
            add_response(
                responses,
                "400",
                json!({"description": "Malformed JSON or invalid fields"}),
            );
            add_response(
                responses,
                "413",
                json!({"description": "The body is larger than 64 KiB"}),
            );
            add_response(
                responses,
                "415",
                json!({"description": "The body is not `application/json` or the vendor type"}),
            );
        }
    }
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if is_error && api && response.get("content").is_none() {
            response["content"] = error_content();
        }
    }
    // By status, as a reader looks them up, whichever declared them.
    responses.sort_keys();
}

/// The document describing both versions, with the shared responses added.
fn combined() -> Value {
    let mut doc = serde_json::to_value(crate::openapi()).unwrap_or(Value::Null);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                if let Some(operation) = item.get_mut(method) {
                    complete_operation(path, operation);
                }
            }
        }
    }
    if let (Some(schemas), Value::Object(extra)) = (
        doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut),
        error_schemas(),
    ) {
        schemas.extend(extra);
    }
    doc
}

/// Keeps only `version`'s media types in every `content` of the document.
fn only(mut value: Value, version: ApiVersion) -> Value {
    let dropped: &[&str] = match version {
        ApiVersion::V1 => &[V2, PROBLEM],
        ApiVersion::V2 => &[V1],
    };
    fn walk(value: &mut Value, dropped: &[&str], version: ApiVersion) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(content)) = map.get_mut("content") {
                    content.retain(|media_type, _| !dropped.contains(&media_type.as_str()));
                    if content.is_empty() {
                        map.remove("content");
                    }
                }
                // Request bodies name their examples by version ("1.0", "2.0"): keep this one's.
                if let Some(Value::Object(examples)) = map.get_mut("examples") {
                    let by_version = examples.keys().all(|name| SUPPORTED_VERSIONS.contains(&name.as_str()));
                    if by_version {
                        examples.retain(|name, _| name == version.as_str());
                    }
                }
                map.values_mut().for_each(|v| walk(v, dropped, version));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, dropped, version)),
            _ => {}
        }
    }
    let versioned = versioned_schemas(&value, version);
    if let Some(paths) = value.get_mut("paths") {
        walk(paths, dropped, version);
        put_versioned_schemas(paths, &versioned);
    }
    if let Some(description) = value.pointer_mut("/info/description") {
        let text = description.as_str().unwrap_or_default();
        *description = Value::String(format!(
            "{text}\n\nThis document describes API {} only.",
            version.as_str()
        ));
    }
    value
}

/// The schemas with a variant for `version` (`PaletteCreate` when
/// `PaletteCreateV1` exists, in 1.0's document): their references, and
/// the variants' references in their place.
fn versioned_schemas(doc: &Value, version: ApiVersion) -> Vec<(String, String)> {
    const PREFIX: &str = "#/components/schemas/";
    let suffix = match version {
        ApiVersion::V1 => "V1",
        ApiVersion::V2 => "V2",
    };
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else {
        return Vec::new();
    };
    schemas
        .keys()
        .filter_map(|name| name.strip_suffix(suffix))
        .filter(|base| schemas.contains_key(*base))
        .map(|base| (format!("{PREFIX}{base}"), format!("{PREFIX}{base}{suffix}")))
        .collect()
}

/// Puts each version's variant in place of the shared schema it stands for.
fn put_versioned_schemas(value: &mut Value, versioned: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                if let Some((_, variant)) = versioned.iter().find(|(shared, _)| shared == reference) {
                    *reference = variant.clone();
                }
            }
            map.values_mut().for_each(|v| put_versioned_schemas(v, versioned));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| put_versioned_schemas(v, versioned)),
        _ => {}
    }
}

/// The served document: for one version, or both when `None`.
pub fn document(version: Option<ApiVersion>) -> &'static Value {
    static BOTH: OnceLock<Value> = OnceLock::new();
    static V1_ONLY: OnceLock<Value> = OnceLock::new();
    static V2_ONLY: OnceLock<Value> = OnceLock::new();
    match version {
        None => BOTH.get_or_init(combined),
        Some(ApiVersion::V1) => V1_ONLY.get_or_init(|| only(combined(), ApiVersion::V1)),
        Some(ApiVersion::V2) => V2_ONLY.get_or_init(|| only(combined(), ApiVersion::V2)),
    }
}

/// `GET /api/openapi.json`: the document for the version `Accept` names, else both.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let accept = req.headers().get(header::ACCEPT);
    let names_version = accept
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(VENDOR_MEDIA_TYPE) && v.contains("version"));
    let version = names_version.then(|| negotiate(accept).ok()).flatten();
    HttpResponse::Ok().json(document(version))
}
