//! Creating, reading, replacing, patching and deleting palettes in both API
//! versions, with their exact shapes, ETags and revisions.

mod common;

use common::{create, id_of, is_etag_of, keys, row, team_with};
use serde_json::json;
use test_support::{spawn_app, V1, V2};

#[actix_web::test]
async fn v1_create_read_update_delete_use_the_seed_shapes() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;

    // Read-only and unknown fields are ignored; the team id may be a string.
    let created = app
        .post("/api/palettes/")
        .auth(&ada)
        .json(&json!({
            "id": 999, "owner": {"id": 1}, "bogus": true,
            "name": "  Sea  ", "colors": ["#ABC", "ff000080"], "owner_id": team.to_string(),
        }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("content-type"), Some(V1));
    assert_eq!(created.header("etag"), None, "1.0 sends no ETag");
    let id = id_of(&created.json);
    assert_ne!(id, 999);
    let owner = json!({"id": team, "name": "ada", "users": [{"id": ada.id, "username": "ada"}]});
    let expected = json!({"id": id, "name": "Sea", "colors": ["#aabbcc", "#ff000080"], "owner": owner});
    assert_eq!(created.json, expected);
    assert_eq!(keys(&created.json), ["id", "name", "colors", "owner"]);

    let read = app.get(&format!("/api/palettes/{id}/")).auth(&ada).send().await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json, expected);

    let listed = app.get("/api/palettes").auth(&ada).send().await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json, json!([expected]));
    assert_eq!(listed.header("link"), None);

    // PUT requires name and owner_id.
    let incomplete = app
        .put(&format!("/api/palettes/{id}"))
        .auth(&ada)
        .json(&json!({"colors": []}))
        .send()
        .await;
    assert_eq!(incomplete.status, 400);
    assert_eq!(
        incomplete.json,
        json!({"name": ["This field is required."], "owner_id": ["This field is required."]})
    );

    let replaced = app
        .put(&format!("/api/palettes/{id}"))
        .auth(&ada)
        .json(&json!({"name": "Ocean", "colors": ["#000"], "owner_id": team}))
        .send()
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(
        replaced.json,
        json!({"id": id, "name": "Ocean", "colors": ["#000000"], "owner": owner})
    );

    let patched = app
        .patch(&format!("/api/palettes/{id}/"))
        .auth(&ada)
        .json(&json!({"name": "Deep Ocean"}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.json["name"], "Deep Ocean");
    assert_eq!(
        patched.json["colors"],
        json!(["#000000"]),
        "PATCH keeps what it leaves out"
    );
    let stored = row(&app, id).await.expect("the row");
    assert_eq!(stored.revision, 3, "one revision per write");
    assert_eq!(stored.name, "Deep Ocean");

    let deleted = app.delete(&format!("/api/palettes/{id}")).auth(&ada).send().await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.text, "");
    assert!(row(&app, id).await.is_none());
    let gone = app.get(&format!("/api/palettes/{id}")).auth(&ada).send().await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json, json!({"detail": "Not found."}));
}

#[actix_web::test]
async fn v2_create_read_update_delete_use_the_2_0_shapes_with_etags() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;

    let created = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({
            "name": "Sea", "description": "  Blues  ", "team_id": team,
            "colors": ["#ABC", {"hex": "ff000080", "name": " Coral "}, {"hex": "#0F0"}],
        }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("content-type"), Some(V2));
    let id = id_of(&created.json);
    assert!(
        is_etag_of(created.header("etag"), id, 1),
        "{:?}",
        created.header("etag")
    );
    let body = &created.json;
    assert_eq!(
        keys(body),
        [
            "id",
            "name",
            "description",
            "team",
            "colors",
            "created_at",
            "updated_at",
            "revision"
        ]
    );
    assert_eq!(body["name"], "Sea");
    assert_eq!(body["description"], "Blues");
    assert_eq!(body["team"], json!({"id": team, "name": "ada"}));
    assert_eq!(
        body["colors"],
        json!([
            {"hex": "#aabbcc", "name": null},
            {"hex": "#ff000080", "name": "Coral"},
            {"hex": "#00ff00", "name": null},
        ])
    );
    assert_eq!(body["revision"], 1);
    assert!(body["created_at"].is_string() && body["updated_at"].is_string());

    let read = app.get(&format!("/api/palettes/{id}")).v2().auth(&ada).send().await;
    assert_eq!(read.status, 200);
    assert_eq!(&read.json, body);
    assert!(is_etag_of(read.header("etag"), id, 1), "{:?}", read.header("etag"));

    let listed = app.get("/api/palettes/").v2().auth(&ada).send().await;
    assert_eq!(listed.json, json!({"items": [body], "next_cursor": null}));

    // PUT keeps the optional fields it leaves out (as the seed's framework did).
    let replaced = app
        .put(&format!("/api/palettes/{id}"))
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Ocean", "team_id": team}))
        .send()
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.json["revision"], 2);
    assert_eq!(replaced.json["description"], "Blues");
    assert_eq!(replaced.json["colors"], body["colors"]);
    assert!(
        is_etag_of(replaced.header("etag"), id, 2),
        "{:?}",
        replaced.header("etag")
    );

    let patched = app
        .patch(&format!("/api/palettes/{id}"))
        .v2()
        .auth(&ada)
        .json(&json!({"description": "", "colors": [{"hex": "#123", "name": "Navy"}]}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.json["name"], "Ocean");
    assert_eq!(patched.json["description"], "");
    assert_eq!(patched.json["colors"], json!([{"hex": "#112233", "name": "Navy"}]));
    assert_eq!(patched.json["revision"], 3);
    assert!(
        is_etag_of(patched.header("etag"), id, 3),
        "{:?}",
        patched.header("etag")
    );
    let time = |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default()).ok();
    assert!(time(&patched.json["updated_at"]) > time(&body["updated_at"]));
    assert_eq!(patched.json["created_at"], body["created_at"]);

    let missing = app
        .put(&format!("/api/palettes/{id}"))
        .v2()
        .auth(&ada)
        .json(&json!({"description": "x"}))
        .send()
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        missing.json["errors"],
        json!({"name": ["This field is required."], "team_id": ["This field is required."]})
    );

    let deleted = app.delete(&format!("/api/palettes/{id}")).v2().auth(&ada).send().await;
    assert_eq!(deleted.status, 204);
    let gone = app.get(&format!("/api/palettes/{id}")).v2().auth(&ada).send().await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.header("content-type"), Some("application/problem+json"));
}

#[actix_web::test]
async fn stale_if_match_is_412_and_nothing_changes() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let id = id_of(&create(&app, &ada, ada.personal_team_id, "Sea", json!(["#000"])).await);
    let path = format!("/api/palettes/{id}");
    let read = app.get(&path).v2().auth(&ada).send().await;
    let first = read.header("etag").expect("an etag").to_owned();
    assert!(is_etag_of(Some(&first), id, 1), "{first}");

    let patched = app
        .patch(&path)
        .v2()
        .auth(&ada)
        .header("If-Match", &first)
        .json(&json!({"name": "Ocean"}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    let second = patched.header("etag").expect("an etag").to_owned();
    assert!(is_etag_of(Some(&second), id, 2), "{second}");

    for request in [
        app.patch(&path).json(&json!({"name": "Lake"})),
        app.put(&path)
            .json(&json!({"name": "Lake", "team_id": ada.personal_team_id})),
        app.delete(&path),
    ] {
        let stale = request.v2().auth(&ada).header("If-Match", &first).send().await;
        assert_eq!(stale.status, 412, "{}", stale.text);
        assert_eq!(stale.header("content-type"), Some("application/problem+json"));
    }
    // 1.0 clients get the same rule when they send the header.
    let stale_v1 = app
        .patch(&path)
        .auth(&ada)
        .header("If-Match", &first)
        .json(&json!({"name": "Lake"}))
        .send()
        .await;
    assert_eq!(stale_v1.status, 412);
    assert!(stale_v1.json["detail"].is_string());
    let stored = row(&app, id).await.expect("the row");
    assert_eq!((stored.name.as_str(), stored.revision), ("Ocean", 2));

    let any = app
        .patch(&path)
        .v2()
        .auth(&ada)
        .header("If-Match", "*")
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(any.status, 200);
    assert_eq!(any.json["revision"], 3, "every write bumps the revision");
    let third = any.header("etag").expect("an etag").to_owned();
    assert!(is_etag_of(Some(&third), id, 3), "{third}");
    let deleted = app
        .delete(&path)
        .v2()
        .auth(&ada)
        .header("If-Match", &format!("\"other\", {third}"))
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    assert!(row(&app, id).await.is_none());
}

#[actix_web::test]
async fn the_seed_spelling_palletes_is_an_alias() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let created = app
        .post("/api/palletes/")
        .auth(&ada)
        .json(&json!({"name": "Sea", "colors": [], "owner_id": ada.personal_team_id}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created.json);
    let listed = app.get("/api/palletes").auth(&ada).send().await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    let read = app.get(&format!("/api/palletes/{id}/")).auth(&ada).send().await;
    assert_eq!(read.json, created.json);
    let patched = app
        .patch(&format!("/api/palletes/{id}"))
        .auth(&ada)
        .json(&json!({"name": "Lake"}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    let deleted = app.delete(&format!("/api/palletes/{id}/")).auth(&ada).send().await;
    assert_eq!(deleted.status, 204);
}

#[actix_web::test]
async fn v1_writes_keep_colour_names_set_in_2_0() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let body = create(
        &app,
        &ada,
        ada.personal_team_id,
        "Sea",
        json!([{"hex": "#000", "name": "Ink"}, {"hex": "#fff", "name": "Paper"}]),
    )
    .await;
    let id = id_of(&body);
    let patched = app
        .patch(&format!("/api/palettes/{id}"))
        .auth(&ada)
        .json(&json!({"colors": ["#ffffff", "#ff0000", "#000000"]}))
        .send()
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.json["colors"], json!(["#ffffff", "#ff0000", "#000000"]));
    let stored = row(&app, id).await.expect("the row");
    assert_eq!(
        stored.color_names,
        vec![Some("Paper".to_owned()), None, Some("Ink".to_owned())]
    );
}

#[actix_web::test]
async fn the_v1_owner_lists_every_member_of_the_team() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = team_with(&app, "Studio", &[&ada, &bob]).await;
    let created = app
        .post("/api/palettes")
        .auth(&bob)
        .json(&json!({"name": "Sea", "owner_id": team}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["colors"], json!([]), "colours default to none");
    let owner = json!({"id": team, "name": "Studio", "users": [
        {"id": ada.id, "username": "ada"},
        {"id": bob.id, "username": "bob"},
    ]});
    assert_eq!(created.json["owner"], owner);
    let listed = app.get("/api/palettes").auth(&ada).send().await;
    assert_eq!(listed.json[0]["owner"], owner);
}

#[actix_web::test]
async fn creating_and_copying_send_the_new_palettes_location() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    for v2 in [false, true] {
        let name = format!("Sea {v2}");
        let request = app
            .post("/api/palettes/")
            .auth(&ada)
            .json(&json!({"name": name, "owner_id": team, "team_id": team, "colors": ["#000"]}));
        let created = if v2 { request.v2() } else { request }.send().await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = id_of(&created.json);
        let location = format!("/api/palettes/{id}/");
        assert_eq!(created.header("location"), Some(location.as_str()), "v2={v2}");
        let read = app.get(&location).auth(&ada).send().await;
        assert_eq!(read.status, 200);

        let request = app
            .post(&format!("/api/palettes/{id}/copy/"))
            .auth(&ada)
            .json(&json!({"team_id": team, "name": format!("{name} copy")}));
        let copied = if v2 { request.v2() } else { request }.send().await;
        assert_eq!(copied.status, 201, "{}", copied.text);
        let copy_id = id_of(&copied.json);
        assert_ne!(copy_id, id);
        let location = format!("/api/palettes/{copy_id}/");
        assert_eq!(copied.header("location"), Some(location.as_str()), "v2={v2}");
        let read = app.get(&location).auth(&ada).send().await;
        assert_eq!(read.json["name"], format!("{name} copy"));
    }
}

/// The 2.0 shape holds the team's name, so renaming the team changes the
/// palette's `ETag`: an `If-Match` read before the rename is stale.
#[actix_web::test]
async fn renaming_the_team_changes_the_palette_etag() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = team_with(&app, "Studio", &[&ada]).await;
    let id = id_of(&create(&app, &ada, team, "Sea", json!(["#000"])).await);
    let path = format!("/api/palettes/{id}/");
    let before = app.get(&path).v2().auth(&ada).send().await;
    let tag = before.header("etag").expect("an etag").to_owned();
    app.rename_team(&ada, team, "Atelier").await;
    let after = app.get(&path).v2().auth(&ada).send().await;
    assert_eq!(after.json["team"]["name"], "Atelier");
    assert_eq!(after.json["revision"], 1, "the palette itself did not change");
    let new_tag = after.header("etag").expect("an etag").to_owned();
    assert_ne!(new_tag, tag);
    let stale = app
        .patch(&path)
        .v2()
        .auth(&ada)
        .header("If-Match", &tag)
        .json(&json!({"name": "Lake"}))
        .send()
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    let fresh = app
        .patch(&path)
        .v2()
        .auth(&ada)
        .header("If-Match", &new_tag)
        .json(&json!({"name": "Lake"}))
        .send()
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
}
