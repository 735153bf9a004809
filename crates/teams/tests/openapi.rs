//! The served OpenAPI document describes every team route as it behaves.

use serde_json::Value;
use test_support::spawn_app;
use test_support::spec::documented_operation;

#[actix_web::test]
async fn the_spec_documents_every_team_route_with_both_versions() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").send().await;
    assert_eq!(response.status, 200);
    let spec = response.json;
    let routes: [(&str, &str, &[u16]); 15] = [
        ("/api/teams", "get", &[200, 400, 401]),
        ("/api/teams", "post", &[201, 400, 401, 409]),
        ("/api/teams/{id}", "get", &[200, 401, 404]),
        ("/api/teams/{id}", "put", &[200, 400, 401, 403, 404, 409, 412]),
        ("/api/teams/{id}", "patch", &[200, 400, 401, 403, 404, 409, 412]),
        ("/api/teams/{id}", "delete", &[204, 400, 401, 403, 404, 409, 412]),
        ("/api/teams/{id}/members", "get", &[200, 400, 401, 404]),
        (
            "/api/teams/{id}/members/{user_id}",
            "patch",
            &[200, 400, 401, 403, 404, 409],
        ),
        (
            "/api/teams/{id}/members/{user_id}",
            "delete",
            &[204, 400, 401, 403, 404, 409],
        ),
        ("/api/teams/{id}/invitations", "get", &[200, 400, 401, 403, 404]),
        ("/api/teams/{id}/invitations", "post", &[201, 400, 401, 403, 404, 409]),
        (
            "/api/teams/{id}/invitations/{invitation_id}",
            "delete",
            &[204, 401, 403, 404],
        ),
        ("/api/invitations", "get", &[200, 400, 401]),
        ("/api/teams/{id}/membership", "put", &[204, 401, 404]),
        ("/api/teams/{id}/membership", "delete", &[204, 400, 401, 404, 409]),
    ];
    for (path, method, statuses) in routes {
        let operation = documented_operation(&spec, path, method, "teams", statuses);
        // Path parameters appear once each.
        let names: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{method} {path}: {names:?}");
    }

    let schemas = &spec["components"]["schemas"];
    let properties = |name: &str| -> Vec<String> {
        schemas[name]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(properties("TeamV1"), ["id", "name", "users"]);
    assert_eq!(
        properties("TeamV2"),
        ["id", "name", "personal", "role", "members", "created_at", "updated_at"]
    );
    assert_eq!(properties("TeamMember"), ["id", "username", "role"]);
    assert_eq!(
        properties("TeamInvitation"),
        ["id", "team", "invitee", "invited_by", "created_at"]
    );
    assert_eq!(schemas["TeamRole"]["enum"], serde_json::json!(["owner", "member"]));
    assert!(matches!(schemas["TeamPageV2"], Value::Object(_)));
}
