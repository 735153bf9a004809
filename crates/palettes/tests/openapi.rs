//! The served OpenAPI document describes every palette route as it behaves:
//! each status a handler can return, and the headers it sends.

use serde_json::Value;
use test_support::spawn_app;
use test_support::spec::documented_operation;

#[actix_web::test]
async fn the_spec_documents_every_palette_route_with_its_statuses_and_headers() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").send().await;
    assert_eq!(response.status, 200);
    let spec = response.json;
    let routes: [(&str, &str, &[u16]); 7] = [
        ("/api/palettes", "get", &[200, 400, 401]),
        ("/api/palettes", "post", &[201, 400, 401, 409]),
        ("/api/palettes/{id}", "get", &[200, 401, 404]),
        ("/api/palettes/{id}", "put", &[200, 400, 401, 404, 409, 412]),
        ("/api/palettes/{id}", "patch", &[200, 400, 401, 404, 409, 412]),
        ("/api/palettes/{id}", "delete", &[204, 401, 404, 412]),
        ("/api/palettes/{id}/copy", "post", &[201, 400, 401, 404, 409]),
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
