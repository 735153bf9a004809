//! Concurrent writes never produce a 500: a race on a name is the duplicate
//! error, and racing updates each get their own revision.

mod common;

use common::{create, id_of, palette_count, row};
use futures_util::future::join;
use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn racing_creates_of_one_name_give_one_201_and_one_duplicate_error() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    for (round, v2) in [(0, true), (1, false), (2, true)] {
        let name = format!("Sea {round}");
        let post = |name: String| {
            let request = app
                .post("/api/palettes")
                .auth(&ada)
                .json(&json!({"name": name, "team_id": team, "owner_id": team, "colors": ["#abc"]}));
            let request = if v2 { request.v2() } else { request };
            request.send()
        };
        let (first, second) = join(post(name.clone()), post(name.to_uppercase())).await;
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        let duplicate = if v2 { 409 } else { 400 };
        assert_eq!(statuses, [201, duplicate], "{}\n{}", first.text, second.text);
        let refused = if first.status == 201 { &second } else { &first };
        let messages = if v2 {
            &refused.json["errors"]["name"]
        } else {
            &refused.json["name"]
        };
        assert_eq!(
            messages,
            &json!(["A palette with this name already exists in this team."]),
            "{}",
            refused.text
        );
    }
    assert_eq!(palette_count(&app).await, 3);
}

#[actix_web::test]
async fn racing_updates_both_apply_with_one_revision_each() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let id = id_of(&create(&app, &ada, ada.personal_team_id, "Sea", json!([])).await);
    let path = format!("/api/palettes/{id}");
    let patch = |body: serde_json::Value| app.patch(&path).v2().auth(&ada).json(&body).send();
    let (first, second) = join(
        patch(json!({"description": "first"})),
        patch(json!({"colors": ["#000"]})),
    )
    .await;
    assert_eq!(
        (first.status, second.status),
        (200, 200),
        "{}\n{}",
        first.text,
        second.text
    );
    let mut revisions = [first.json["revision"].clone(), second.json["revision"].clone()];
    revisions.sort_by_key(|r| r.as_i64());
    assert_eq!(revisions, [json!(2), json!(3)]);
    let stored = row(&app, id).await.expect("the row");
    assert_eq!(stored.revision, 3);
    assert_eq!(stored.description, "first", "neither write undid the other");
    assert_eq!(stored.colors, vec!["#000000".to_owned()]);

    // The same race pinned with If-Match: one wins, the other is told it is stale.
    let etag = format!("\"{id}-3\"");
    let pinned = |body: serde_json::Value| {
        app.patch(&path)
            .v2()
            .auth(&ada)
            .header("If-Match", &etag)
            .json(&body)
            .send()
    };
    let (first, second) = join(pinned(json!({"name": "Lake"})), pinned(json!({"name": "Pond"}))).await;
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{}\n{}", first.text, second.text);
    assert_eq!(row(&app, id).await.map(|p| p.revision), Some(4));
}
