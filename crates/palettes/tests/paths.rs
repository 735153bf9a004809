//! Paths that name no palette are a 404 in the negotiated version's error
//! format, with or without credentials.

mod common;

use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn a_non_numeric_palette_id_is_404_with_or_without_credentials() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let body = json!({"name": "Sea", "team_id": ada.personal_team_id, "owner_id": ada.personal_team_id});
    for path in ["/api/palettes/abc/", "/api/palettes/abc", "/api/palletes/abc/"] {
        for authenticated in [false, true] {
            for v2 in [false, true] {
                let requests = [
                    app.get(path),
                    app.put(path).json(&body),
                    app.patch(path).json(&body),
                    app.delete(path),
                    app.post(&format!("{}/copy/", path.trim_end_matches('/'))).json(&body),
                ];
                for request in requests {
                    let request = if v2 { request.v2() } else { request };
                    let request = if authenticated { request.auth(&ada) } else { request };
                    let response = request.send().await;
                    response.assert_not_found(v2, &format!("{path} v2={v2} authenticated={authenticated}"));
                }
            }
        }
    }
    // A numeric id without credentials is still a 401.
    let response = app.get("/api/palettes/1/").send().await;
    assert_eq!(response.status, 401);
}

#[actix_web::test]
async fn only_the_canonical_form_of_an_id_names_a_palette() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let id = common::id_of(&common::create(&app, &ann, ann.personal_team_id, "Sea", json!([])).await);
    assert_eq!(
        app.get(&format!("/api/palettes/{id}/")).auth(&ann).send().await.status,
        200
    );
    for path in [
        format!("/api/palettes/+{id}/"),
        format!("/api/palettes/0{id}/"),
        format!("/api/palettes/00{id}"),
    ] {
        let response = app.get(&path).v2().auth(&ann).send().await;
        response.assert_not_found(true, &path);
    }
}

#[actix_web::test]
async fn an_empty_if_match_is_a_400_naming_the_header() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let id = common::id_of(&common::create(&app, &ann, ann.personal_team_id, "Sea", json!([])).await);
    let response = app
        .patch(&format!("/api/palettes/{id}/"))
        .v2()
        .auth(&ann)
        .header("If-Match", "")
        .json(&json!({"name": "Ocean"}))
        .send()
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.json["errors"]["If-Match"].is_array(), "{}", response.text);
    assert_eq!(common::row(&app, id).await.map(|p| p.name).as_deref(), Some("Sea"));
}
