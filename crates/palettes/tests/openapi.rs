//! The served OpenAPI document describes every palette route as it behaves:
//! each status a handler can return, and the headers it sends.

use serde_json::{json, Value};
use test_support::spawn_app;
use test_support::spec::{documented_operation, own_statuses, secured_operation};

#[actix_web::test]
async fn the_spec_documents_every_palette_route_with_its_statuses_and_headers() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").send().await;
    assert_eq!(response.status, 200);
    let spec = response.json;
    let routes: [(&str, &str, &[u16]); 9] = [
        ("/api/palettes", "get", &[200, 304, 400, 401]),
        ("/api/palettes", "post", &[201, 400, 401, 409]),
        ("/api/palettes/{id}", "get", &[200, 401, 404]),
        ("/api/palettes/{id}", "put", &[200, 400, 401, 404, 409, 412]),
        ("/api/palettes/{id}", "patch", &[200, 400, 401, 404, 409, 412]),
        ("/api/palettes/{id}", "delete", &[204, 400, 401, 404, 412]),
        ("/api/palettes/{id}/copy", "post", &[201, 400, 401, 404, 409]),
        ("/api/palettes/import", "post", &[201, 400, 401, 409]),
        ("/api/palettes/{id}/contrast", "get", &[200, 401, 404]),
    ];
    for (path, method, statuses) in routes {
        let operation = documented_operation(&spec, path, method, "palettes", statuses);
        let success = &operation["responses"][statuses[0].to_string()];
        if statuses[0] == 201 {
            assert!(
                success["headers"]["Location"].is_object(),
                "{method} {path}: Location is not documented"
            );
        }
        if ["put", "patch", "delete"].contains(&method) {
            assert!(
                parameter(operation, "If-Match").is_object(),
                "{method} {path}: If-Match is not documented"
            );
        }
    }

    // Each export format and each importable one is documented with its media type.
    let export = secured_operation(&spec, "/api/palettes/{id}/export/{format}", "get", "palettes");
    assert_eq!(own_statuses(export), [200, 304, 401, 404]);
    let produced: Vec<&String> = export["responses"]["200"]["content"]
        .as_object()
        .map(|content| content.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        produced,
        [
            "text/css",
            "application/design-tokens+json",
            "application/x-gimp-palette",
            "application/x-adobe-ase",
            "image/svg+xml"
        ]
    );
    let import = &spec["paths"]["/api/palettes/import"]["post"];
    for media_type in [
        "text/css",
        "application/design-tokens+json",
        "application/x-gimp-palette",
        "application/x-adobe-ase",
    ] {
        assert!(
            import["requestBody"]["content"][media_type].is_object(),
            "the import does not document {media_type}"
        );
    }
    for name in ["format", "team_id", "name"] {
        assert!(
            parameter(import, name).is_object(),
            "?{name} of the import is not documented"
        );
    }

    // Every filter is documented, and what an empty value means.
    let list = &spec["paths"]["/api/palettes"]["get"];
    for name in ["team", "search", "color", "ordering", "limit", "cursor"] {
        assert!(parameter(list, name).is_object(), "?{name} is not documented");
    }
    let search = parameter(list, "search")["description"].as_str().unwrap_or_default();
    assert!(
        search.contains("empty"),
        "?search= does not say what an empty value does: {search}"
    );
    for name in ["team", "color", "ordering"] {
        let description = parameter(list, name)["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("empty"),
            "?{name} does not say an empty value is refused: {description}"
        );
    }
}

fn parameter<'a>(operation: &'a Value, name: &str) -> &'a Value {
    operation["parameters"]
        .as_array()
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
        .unwrap_or(&Value::Null)
}

/// Every request-body example of the palette routes, by name, with the
/// version it is sent in: a named example is named after its version; a
/// single `example` holds in both.
fn examples(operation: &Value) -> Vec<(bool, Value)> {
    let media = &operation["requestBody"]["content"]["application/json"];
    match media["examples"].as_object() {
        Some(named) => named
            .iter()
            .map(|(name, example)| {
                assert!(
                    ["1.0", "2.0"].contains(&name.as_str()),
                    "example {name} names no version"
                );
                (name == "2.0", example["value"].clone())
            })
            .collect(),
        None => {
            let example = media["example"].clone();
            assert!(example.is_object(), "no example: {operation}");
            vec![(false, example.clone()), (true, example)]
        }
    }
}

/// Each version ignores the other's fields: a write example holds none of them.
fn assert_only_its_version(v2: bool, example: &Value) {
    let others: &[&str] = if v2 { &["owner_id"] } else { &["team_id", "description"] };
    for field in others {
        assert!(example.get(*field).is_none(), "v2: {v2}, {example} holds {field}");
    }
}

/// The example with its team (any id) replaced by `team_id`.
fn in_team(mut example: Value, team_id: i64) -> Value {
    for field in ["owner_id", "team_id"] {
        if let Some(value) = example.get_mut(field) {
            *value = team_id.into();
        }
    }
    example
}

#[actix_web::test]
async fn each_request_example_is_accepted_as_sent_in_its_version() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let spec = app.get("/api/openapi.json").send().await.json;
    let operation = |path: &str, method: &str| spec["paths"][path][method].clone();

    for (v2, example) in examples(&operation("/api/palettes", "post")) {
        let request = app
            .post("/api/palettes")
            .auth(&ada)
            .json(&in_team(example.clone(), team));
        let created = if v2 { request.v2() } else { request }.send().await;
        assert_eq!(created.status, 201, "v2: {v2}, {example}: {}", created.text);
        assert_only_its_version(v2, &example);
        let id = created.json["id"].as_i64().unwrap_or_default();
        let deleted = app.delete(&format!("/api/palettes/{id}")).auth(&ada).send().await;
        assert_eq!(deleted.status, 204);
    }

    let source = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "Original", "owner_id": team}))
        .send()
        .await;
    assert_eq!(source.status, 201, "{}", source.text);
    let id = source.json["id"].as_i64().unwrap_or_default();
    let path = format!("/api/palettes/{id}");
    for method in ["put", "patch"] {
        for (v2, example) in examples(&operation("/api/palettes/{id}", method)) {
            let body = in_team(example.clone(), team);
            let request = if method == "put" {
                app.put(&path)
            } else {
                app.patch(&path)
            };
            let request = request.auth(&ada).json(&body);
            let written = if v2 { request.v2() } else { request }.send().await;
            assert_eq!(written.status, 200, "{method} v2: {v2}, {example}: {}", written.text);
            assert_only_its_version(v2, &example);
        }
    }
    for (v2, example) in examples(&operation("/api/palettes/{id}/copy", "post")) {
        let request = app
            .post(&format!("{path}/copy"))
            .auth(&ada)
            .json(&in_team(example.clone(), team));
        let copied = if v2 { request.v2() } else { request }.send().await;
        assert_eq!(copied.status, 201, "copy v2: {v2}, {example}: {}", copied.text);
        let copy = copied.json["id"].as_i64().unwrap_or_default();
        let deleted = app.delete(&format!("/api/palettes/{copy}")).auth(&ada).send().await;
        assert_eq!(deleted.status, 204);
    }
}
