//! Concurrent writes never produce a 500: a race on a name is the duplicate
//! error, and racing updates each get their own revision.

mod common;

use common::{create, id_of, is_etag_of, palette_count, row, team_with};
use diesel_async::SimpleAsyncConnection;
use futures_util::future::{join, join_all};
use serde_json::json;
use test_support::{spawn_app, Response};

/// Of two racing writes of one name, one got `success` and the other the
/// duplicate error of its version (409 in 2.0, 400 in 1.0), on `name`.
fn one_wins_one_is_a_duplicate(a: &Response, b: &Response, success: u16, v2: bool) {
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    let duplicate = if v2 { 409 } else { 400 };
    assert_eq!(
        statuses,
        [success.min(duplicate), success.max(duplicate)],
        "{}\n{}",
        a.text,
        b.text
    );
    let refused = if a.status == success { b } else { a };
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
        one_wins_one_is_a_duplicate(&first, &second, 201, v2);
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
    let read = app.get(&path).v2().auth(&ada).send().await;
    let etag = read.header("etag").expect("an etag").to_owned();
    assert!(is_etag_of(Some(&etag), id, 3), "{etag}");
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

/// Ten writes of one palette at once, none pinned with `If-Match`: each is
/// applied in turn (the row is locked while one is written), none is refused.
#[actix_web::test]
async fn ten_simultaneous_writes_without_if_match_all_succeed_one_revision_each() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let id = id_of(&create(&app, &ada, team, "Sea", json!([])).await);
    let path = format!("/api/palettes/{id}/");
    let mut expected_revision = 1;
    for (method, v2) in [("PATCH", false), ("PATCH", true), ("PUT", false), ("PUT", true)] {
        let requests = (0..10).map(|i| {
            let body = json!({"name": "Sea", "owner_id": team, "team_id": team, "colors": [format!("#00000{i}")]});
            let request = if method == "PATCH" {
                app.patch(&path)
            } else {
                app.put(&path)
            };
            let request = if v2 { request.v2() } else { request };
            request.auth(&ada).json(&body).send()
        });
        let responses = join_all(requests).await;
        for response in &responses {
            assert_eq!(response.status, 200, "{method} v2={v2}: {}", response.text);
        }
        expected_revision += 10;
        if v2 {
            let mut revisions: Vec<i64> = responses.iter().filter_map(|r| r.json["revision"].as_i64()).collect();
            revisions.sort_unstable();
            let each: Vec<i64> = (expected_revision - 9..=expected_revision).collect();
            assert_eq!(revisions, each, "{method}: every write has its own revision");
        }
        let stored = row(&app, id).await.expect("the row");
        assert_eq!(i64::from(stored.revision), expected_revision, "{method} v2={v2}");
    }

    // Ten deletes at once: one deletes, the others find nothing.
    for v2 in [false, true] {
        let id = id_of(&create(&app, &ada, team, &format!("Gone {v2}"), json!([])).await);
        let path = format!("/api/palettes/{id}/");
        let responses = join_all((0..10).map(|_| {
            let request = app.delete(&path).auth(&ada);
            if v2 { request.v2() } else { request }.send()
        }))
        .await;
        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [[204].as_slice(), &[404; 9]].concat(), "v2={v2}");
        assert!(row(&app, id).await.is_none());
    }
}

#[actix_web::test]
async fn racing_renames_of_two_palettes_to_one_name_give_one_200_and_one_duplicate_error() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    for (round, v2) in [(0, false), (1, true)] {
        let first = id_of(&create(&app, &ada, team, &format!("First {round}"), json!([])).await);
        let second = id_of(&create(&app, &ada, team, &format!("Second {round}"), json!([])).await);
        let name = format!("Sea {round}");
        let rename = |id: i64, name: String| {
            let request = app
                .patch(&format!("/api/palettes/{id}/"))
                .auth(&ada)
                .json(&json!({"name": name}));
            if v2 { request.v2() } else { request }.send()
        };
        let (a, b) = join(rename(first, name.clone()), rename(second, name.to_uppercase())).await;
        one_wins_one_is_a_duplicate(&a, &b, 200, v2);
        let revisions = [row(&app, first).await, row(&app, second).await].map(|p| p.map(|p| p.revision));
        let mut revisions = revisions.to_vec();
        revisions.sort_unstable();
        assert_eq!(revisions, [Some(1), Some(2)], "the refused write changed nothing");
    }
}

/// A create that arrives while its author is being removed from the team
/// waits for the removal (which holds the team's row lock, as every
/// membership change does) and is then refused: no palette is ever added by
/// someone who is no longer a member.
#[actix_web::test]
async fn a_create_racing_the_authors_removal_is_refused_once_the_removal_commits() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let team = team_with(&app, "band", &[&owner, &bob]).await;
    let warm = app.get("/api/palettes/").auth(&bob).send().await;
    assert_eq!(warm.status, 200);
    let mut conn = app.pool.get().await.expect("a connection");
    conn.batch_execute(&format!("BEGIN; SELECT id FROM teams WHERE id = {team} FOR UPDATE"))
        .await
        .expect("locking the team");
    let create = app
        .post("/api/palettes/")
        .v2()
        .auth(&bob)
        .json(&json!({"name": "late", "team_id": team, "colors": ["#abc"]}))
        .send();
    let remove = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        conn.batch_execute(&format!(
            "DELETE FROM team_members WHERE team_id = {team} AND user_id = {}; COMMIT",
            bob.id
        ))
        .await
        .expect("removing bob");
    };
    let (response, ()) = join(create, remove).await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert_eq!(
        response.json["errors"]["team_id"],
        json!(["You are not a member of a team with this id."])
    );
    assert_eq!(palette_count(&app).await, 0);
}
