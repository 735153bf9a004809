//! Who may see and change a palette: members of its team only; to anyone
//! else a palette does not exist. Moving and copying need both teams.

mod common;

use common::{create, id_of, is_etag_of, palette_count, row, team_with};
use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn non_member_gets_404_for_another_teams_palette_and_nothing_changes() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let id = id_of(&create(&app, &ada, ada.personal_team_id, "Secret", json!(["#000"])).await);
    let before = row(&app, id).await.expect("the row");
    let path = format!("/api/palettes/{id}");
    let nowhere = "/api/palettes/999999".to_owned();

    for (version, v2) in [("1.0", false), ("2.0", true)] {
        for target in [&path, &nowhere] {
            let requests = [
                app.get(target),
                app.put(target)
                    .json(&json!({"name": "Mine", "owner_id": eve.personal_team_id, "team_id": eve.personal_team_id})),
                app.patch(target).json(&json!({"name": "Mine"})),
                app.delete(target),
                app.delete(target).header("If-Match", "*"),
                app.post(&format!("{target}/copy"))
                    .json(&json!({"team_id": eve.personal_team_id})),
            ];
            for request in requests {
                let request = if v2 { request.v2() } else { request };
                let response = request.auth(&eve).send().await;
                response.assert_not_found(v2, &format!("{version} {target}"));
            }
        }
    }
    // Even an invalid body gets the 404 first: nothing tells the palette exists.
    let invalid = app.patch(&path).auth(&eve).json(&json!({"name": ""})).send().await;
    assert_eq!(invalid.status, 404);
    // So does JSON that is not an object, for every write of one palette.
    for request in [app.put(&path), app.patch(&path), app.post(&format!("{path}/copy"))] {
        let not_an_object = request.auth(&eve).json(&json!([1])).send().await;
        not_an_object.assert_not_found(false, "a list as the body");
    }
    let own = app.patch(&path).auth(&ada).json(&json!([1])).send().await;
    assert_eq!(
        own.json,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        "to a member it is the seed's 400"
    );

    let listed = app.get("/api/palettes").auth(&eve).send().await;
    assert_eq!(listed.json, json!([]));
    let filtered = app
        .get(&format!("/api/palettes?team={}", ada.personal_team_id))
        .v2()
        .auth(&eve)
        .send()
        .await;
    assert_eq!(filtered.status, 200);
    assert_eq!(filtered.json, json!({"items": [], "next_cursor": null}));

    assert_eq!(row(&app, id).await, Some(before), "nothing changed");
    assert_eq!(palette_count(&app).await, 1, "no copy was made");
}

#[actix_web::test]
async fn creating_in_a_team_i_am_not_in_is_400_on_the_team_field() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let theirs = eve.personal_team_id;

    let v1 = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "Sea", "owner_id": theirs.to_string()}))
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert_eq!(
        v1.json,
        json!({"owner_id": [format!("Invalid pk \"{theirs}\" - object does not exist.")]})
    );
    // A team that does not exist gets the same answer.
    let nowhere = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "Sea", "owner_id": 987654}))
        .send()
        .await;
    assert_eq!(nowhere.status, 400);
    assert_eq!(
        nowhere.json,
        json!({"owner_id": ["Invalid pk \"987654\" - object does not exist."]})
    );

    let v2 = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "", "team_id": theirs}))
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert_eq!(
        v2.json["errors"],
        json!({
            "name": ["This field may not be blank."],
            "team_id": ["You are not a member of a team with this id."],
        }),
        "every problem is reported at once"
    );
    assert_eq!(palette_count(&app).await, 0);
}

#[actix_web::test]
async fn moving_a_palette_needs_membership_of_both_teams() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let shared = team_with(&app, "Studio", &[&ada, &bob]).await;
    let id = id_of(&create(&app, &ada, ada.personal_team_id, "Sea", json!(["#000"])).await);
    let path = format!("/api/palettes/{id}");

    // Into a team Ada is not in: refused in both versions, nothing moves.
    let v1 = app
        .patch(&path)
        .auth(&ada)
        .json(&json!({"owner_id": bob.personal_team_id}))
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert!(v1.json["owner_id"].is_array(), "{}", v1.text);
    let v2 = app
        .put(&path)
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Sea", "team_id": bob.personal_team_id}))
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert!(v2.json["errors"]["team_id"].is_array(), "{}", v2.text);
    let unchanged = row(&app, id).await.expect("the row");
    assert_eq!((unchanged.team_id, unchanged.revision), (ada.personal_team_id, 1));

    // Into the shared team: Bob now sees it.
    let moved = app
        .patch(&path)
        .auth(&ada)
        .json(&json!({"owner_id": shared}))
        .send()
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json["owner"]["name"], "Studio");
    let seen = app.get(&path).v2().auth(&bob).send().await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json["team"], json!({"id": shared, "name": "Studio"}));

    // Bob moves it to his own team, where Ada is not: she loses it.
    let taken = app
        .patch(&path)
        .v2()
        .auth(&bob)
        .json(&json!({"team_id": bob.personal_team_id}))
        .send()
        .await;
    assert_eq!(taken.status, 200);
    assert_eq!(taken.json["team"]["id"], bob.personal_team_id);
    assert_eq!(app.get(&path).auth(&ada).send().await.status, 404);
}

#[actix_web::test]
async fn names_are_unique_ignoring_case_within_a_team_only() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let shared = team_with(&app, "Studio", &[&ada]).await;
    create(&app, &ada, ada.personal_team_id, "Sea", json!([])).await;
    create(&app, &ada, shared, "Sea", json!([])).await;

    let v1 = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": " SEA ", "owner_id": shared}))
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert_eq!(
        v1.json,
        json!({"name": ["A palette with this name already exists in this team."]})
    );
    let v2 = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "sea", "team_id": shared}))
        .send()
        .await;
    assert_eq!(v2.status, 409);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        v2.json["errors"],
        json!({"name": ["A palette with this name already exists in this team."]})
    );

    // Renaming into a taken name, or moving next to a namesake, is the same conflict.
    let other = id_of(&create(&app, &ada, shared, "Lake", json!([])).await);
    let renamed = app
        .patch(&format!("/api/palettes/{other}"))
        .v2()
        .auth(&ada)
        .json(&json!({"name": "sEa"}))
        .send()
        .await;
    assert_eq!(renamed.status, 409);
    let moved = app
        .patch(&format!("/api/palettes/{other}"))
        .auth(&ada)
        .json(&json!({"name": "Sea", "owner_id": ada.personal_team_id}))
        .send()
        .await;
    assert_eq!(moved.status, 400);
    assert!(moved.json["name"].is_array());
    assert_eq!(row(&app, other).await.map(|p| p.name), Some("Lake".to_owned()));
    assert_eq!(palette_count(&app).await, 3);
}

#[actix_web::test]
async fn copy_into_a_team_i_belong_to() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let shared = team_with(&app, "Studio", &[&ada]).await;
    let original = create(
        &app,
        &ada,
        ada.personal_team_id,
        "Sea",
        json!([{"hex": "#000", "name": "Ink"}, "#fff"]),
    )
    .await;
    let id = id_of(&original);
    let copy_path = format!("/api/palettes/{id}/copy/");

    let copy = app
        .post(&copy_path)
        .v2()
        .auth(&ada)
        .json(&json!({"team_id": shared.to_string()}))
        .send()
        .await;
    assert_eq!(copy.status, 201, "{}", copy.text);
    let copy_id = id_of(&copy.json);
    assert_ne!(copy_id, id);
    assert!(is_etag_of(copy.header("etag"), copy_id, 1), "{:?}", copy.header("etag"));
    assert_eq!(copy.json["name"], "Sea");
    assert_eq!(copy.json["team"], json!({"id": shared, "name": "Studio"}));
    assert_eq!(copy.json["colors"], original["colors"]);
    assert_eq!(copy.json["revision"], 1);

    // Again into the same team: the name is taken, unless a new one is given.
    let clash = app
        .post(&copy_path)
        .v2()
        .auth(&ada)
        .json(&json!({"team_id": shared}))
        .send()
        .await;
    assert_eq!(clash.status, 409);
    let clash_v1 = app
        .post(&copy_path)
        .auth(&ada)
        .json(&json!({"team_id": ada.personal_team_id}))
        .send()
        .await;
    assert_eq!(clash_v1.status, 400);
    assert!(clash_v1.json["name"].is_array());
    let renamed = app
        .post(&copy_path)
        .auth(&ada)
        .json(&json!({"team_id": ada.personal_team_id, "name": " Sea (copy) "}))
        .send()
        .await;
    assert_eq!(renamed.status, 201, "{}", renamed.text);
    assert_eq!(renamed.json["name"], "Sea (copy)");
    assert_eq!(renamed.json["colors"], json!(["#000000", "#ffffff"]));
    assert_eq!(renamed.json["owner"]["id"], ada.personal_team_id);

    // Into a team I am not in, or without a team: 400 on team_id.
    let foreign = app
        .post(&copy_path)
        .v2()
        .auth(&ada)
        .json(&json!({"team_id": eve.personal_team_id, "name": "Gift"}))
        .send()
        .await;
    assert_eq!(foreign.status, 400);
    assert!(foreign.json["errors"]["team_id"].is_array());
    let missing = app.post(&copy_path).auth(&ada).json(&json!({})).send().await;
    assert_eq!(missing.json, json!({"team_id": ["This field is required."]}));
    assert_eq!(palette_count(&app).await, 3);
    assert_eq!(
        row(&app, id).await.map(|p| p.revision),
        Some(1),
        "the original is untouched"
    );
}

#[actix_web::test]
async fn deleting_a_team_deletes_its_palettes() {
    use database::schema::teams;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let shared = team_with(&app, "Studio", &[&ada]).await;
    let gone = id_of(&create(&app, &ada, shared, "Sea", json!([])).await);
    let kept = id_of(&create(&app, &ada, ada.personal_team_id, "Sea", json!([])).await);
    let mut conn = app.pool.get().await.expect("a connection");
    diesel::delete(teams::table.find(shared))
        .execute(&mut conn)
        .await
        .expect("deleting the team");
    assert!(row(&app, gone).await.is_none());
    assert!(row(&app, kept).await.is_some());
}

/// Through the API: deleting a team (its owner) deletes its palettes, and
/// deleting an account deletes the palettes of its personal team, while the
/// palettes of a shared team the user was in stay with the team.
#[actix_web::test]
async fn deleting_a_team_or_an_account_through_the_api_deletes_their_palettes() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let doomed = app.create_team(&ada, "Doomed").await;
    let in_doomed = id_of(&create(&app, &ada, doomed, "Sea", json!([])).await);
    let deleted = app.delete(&format!("/api/teams/{doomed}/")).auth(&ada).send().await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(row(&app, in_doomed).await.is_none(), "the team's palette is gone");

    let shared = app.create_team(&bob, "Shared").await;
    app.join(&bob, shared, &ada).await;
    let personal = id_of(&create(&app, &ada, ada.personal_team_id, "Mine", json!([])).await);
    let in_shared = id_of(&create(&app, &ada, shared, "Ours", json!([])).await);
    let gone = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert!(
        row(&app, personal).await.is_none(),
        "the personal team's palette is gone"
    );
    assert!(
        row(&app, in_shared).await.is_some(),
        "the shared team keeps its palette"
    );
}
