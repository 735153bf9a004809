//! Teams themselves: create, read, rename, delete, list; shapes of both
//! versions, visibility, ETags and names.

mod common;

use common::{create_team, join, keys, roles_in_db, team_exists, team_name_in_db};
use futures_util::future::join as both;
use serde_json::json;
use test_support::{spawn_app, V1, V2};

#[actix_web::test]
async fn creating_a_team_makes_me_its_owner_in_the_2_0_shape() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let response = app
        .post("/api/teams/")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "  Design  "}))
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.header("content-type"), Some(V2));
    let id = response.json["id"].as_i64().expect("id");
    assert_eq!(
        keys(&response.json),
        ["id", "name", "personal", "role", "members", "created_at", "updated_at"]
    );
    assert_eq!(response.json["name"], "Design");
    assert_eq!(response.json["personal"], false);
    assert_eq!(response.json["role"], "owner");
    assert_eq!(
        response.json["members"],
        json!([{"id": ada.id, "username": "ada", "role": "owner"}])
    );
    assert!(response.header("etag").is_some_and(|t| t.starts_with('"')));
    assert_eq!(response.header("location"), Some(format!("/api/teams/{id}/").as_str()));
    assert_eq!(team_name_in_db(&app, id).await, "Design");
    assert_eq!(roles_in_db(&app, id).await, [(ada.id, "owner".to_owned())]);
}

#[actix_web::test]
async fn version_1_0_shows_teams_as_the_seed_did_and_ignores_read_only_fields() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let response = app
        .post("/api/teams/")
        .auth(&ada)
        .json(&json!({"name": "Design", "id": 999, "users": [], "colour": "red"}))
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.header("content-type"), Some(V1));
    assert!(response.header("etag").is_none());
    let id = response.json["id"].as_i64().expect("id");
    assert_ne!(id, 999);
    assert_eq!(
        response.json,
        json!({"id": id, "name": "Design", "users": [{"id": ada.id, "username": "ada"}]})
    );

    let got = app.get(&format!("/api/teams/{id}")).auth(&ada).send().await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json, response.json);
}

#[actix_web::test]
async fn the_personal_team_is_listed_with_my_teams_in_both_versions() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = create_team(&app, &ada, "Design").await;

    let v1 = app.get("/api/teams/").auth(&ada).send().await;
    assert_eq!(v1.status, 200);
    assert_eq!(
        v1.json,
        json!([
            {"id": ada.personal_team_id, "name": "ada", "users": [{"id": ada.id, "username": "ada"}]},
            {"id": team, "name": "Design", "users": [{"id": ada.id, "username": "ada"}]},
        ])
    );
    assert!(v1.header("link").is_none());

    let v2 = app.get("/api/teams").v2().auth(&ada).send().await;
    assert_eq!(v2.status, 200);
    assert_eq!(keys(&v2.json), ["items", "next_cursor"]);
    assert_eq!(v2.json["next_cursor"], json!(null));
    let items = v2.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["personal"], true);
    assert_eq!(items[0]["role"], "owner");
    assert_eq!(items[1]["id"], team);
    assert_eq!(items[1]["personal"], false);
}

#[actix_web::test]
async fn team_lists_page_with_limit_and_cursor_in_both_versions() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let mut ids = vec![ada.personal_team_id];
    for name in ["A", "B", "C", "D"] {
        ids.push(create_team(&app, &ada, name).await);
    }

    // 2.0: follow next_cursor until it is null.
    let mut seen = Vec::new();
    let mut path = "/api/teams/?limit=2".to_owned();
    loop {
        let page = app.get(&path).v2().auth(&ada).send().await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.json["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|t| t["id"].as_i64().expect("id")));
        match page.json["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/teams/?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // 1.0: bare arrays, the next page in `Link` with the same limit.
    let first = app.get("/api/teams?limit=3").auth(&ada).send().await;
    assert_eq!(first.status, 200);
    let first_ids: Vec<i64> = first
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(first_ids, ids[..3]);
    let link = first.header("link").expect("Link header").to_owned();
    assert!(link.ends_with("rel=\"next\""), "{link}");
    assert!(link.contains("limit=3"), "{link}");
    assert!(link.starts_with(&format!("<{}/api/teams?", app.address)), "{link}");
    // A client's forwarding headers do not move the link elsewhere: no
    // proxy is trusted here.
    let forged = app
        .get("/api/teams?limit=3")
        .auth(&ada)
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await;
    let forged = forged.header("link").expect("Link header");
    assert!(forged.starts_with(&format!("<{}/api/teams?", app.address)), "{forged}");
    let url = link.trim_start_matches('<').split('>').next().expect("url");
    let path = &url[url.find("/api/").expect("path")..];
    let second = app.get(path).auth(&ada).send().await;
    assert_eq!(second.status, 200);
    let second_ids: Vec<i64> = second
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(second_ids, ids[3..]);
    assert!(second.header("link").is_none());
}

#[actix_web::test]
async fn invalid_limit_or_cursor_is_a_400_naming_the_parameter() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let v1 = app.get(&format!("/api/teams/?{query}")).auth(&ada).send().await;
        assert_eq!(v1.status, 400, "{query}");
        assert!(v1.json[field].is_array(), "{query}: {}", v1.text);
        let v2 = app
            .get(&format!("/api/teams/{}/members/?{query}", ada.personal_team_id))
            .v2()
            .auth(&ada)
            .send()
            .await;
        assert_eq!(v2.status, 400, "{query}");
        assert!(v2.json["errors"][field].is_array(), "{query}: {}", v2.text);
    }
}

#[actix_web::test]
async fn team_names_are_trimmed_and_must_be_1_to_150_characters() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for body in [
        json!({}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(151)}),
        json!({"name": 5}),
    ] {
        let response = app.post("/api/teams/").auth(&ada).json(&body).send().await;
        assert_eq!(response.status, 400, "{body}");
        assert!(response.json["name"].is_array(), "{body}: {}", response.text);
    }
    let longest = app
        .post("/api/teams/")
        .auth(&ada)
        .json(&json!({"name": format!(" {} ", "é".repeat(150))}))
        .send()
        .await;
    assert_eq!(longest.status, 201, "{}", longest.text);
    assert_eq!(longest.json["name"], "é".repeat(150));
}

#[actix_web::test]
async fn a_duplicate_name_in_another_case_is_400_in_1_0_and_409_in_2_0() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    create_team(&app, &ada, "Design").await;

    let v1 = app
        .post("/api/teams/")
        .auth(&bob)
        .json(&json!({"name": "design"}))
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert_eq!(v1.json, json!({"name": ["A team with that name already exists."]}));

    let v2 = app
        .post("/api/teams/")
        .v2()
        .auth(&bob)
        .json(&json!({"name": " DESIGN "}))
        .send()
        .await;
    assert_eq!(v2.status, 409);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        v2.json["errors"]["name"],
        json!(["A team with that name already exists."])
    );

    // Renaming onto a taken name is the same conflict.
    let other = create_team(&app, &bob, "Marketing").await;
    let rename = app
        .put(&format!("/api/teams/{other}/"))
        .v2()
        .auth(&bob)
        .json(&json!({"name": "dEsIgN"}))
        .send()
        .await;
    assert_eq!(rename.status, 409, "{}", rename.text);
    assert_eq!(team_name_in_db(&app, other).await, "Marketing");
}

#[actix_web::test]
async fn personal_team_names_do_not_block_shared_team_names() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    // Ada's personal team is called "ada"; a shared team may take that name.
    let team = create_team(&app, &bob, "Ada").await;
    assert_eq!(team_name_in_db(&app, team).await, "Ada");
    assert_eq!(team_name_in_db(&app, ada.personal_team_id).await, "ada");
}

#[actix_web::test]
async fn concurrent_creations_with_one_name_give_one_team_and_one_conflict() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    // Warm the credential cache so that both requests reach the database together.
    app.get("/api/teams/").auth(&ada).send().await;
    app.get("/api/teams/").auth(&bob).send().await;
    for round in 0..3 {
        let name = format!("Race {round}");
        let (a, b) = both(
            app.post("/api/teams/")
                .v2()
                .auth(&ada)
                .json(&json!({"name": name}))
                .send(),
            app.post("/api/teams/")
                .auth(&bob)
                .json(&json!({"name": name.to_uppercase()}))
                .send(),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(
            statuses == [201, 400] || statuses == [201, 409],
            "{statuses:?}: {} / {}",
            a.text,
            b.text
        );
        let loser = if a.status == 201 { &b } else { &a };
        let field = if loser.status == 409 {
            &loser.json["errors"]["name"]
        } else {
            &loser.json["name"]
        };
        assert_eq!(field, &json!(["A team with that name already exists."]));
    }
}

#[actix_web::test]
async fn a_non_member_gets_404_for_a_team_and_everything_under_it_never_403() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let team = create_team(&app, &ada, "Design").await;
    let invitation = common::invite(&app, &ada, team, &app.user("bob").await).await;
    let missing = team + 1000;
    for id in [team, missing] {
        let requests = [
            app.get(&format!("/api/teams/{id}/")),
            app.put(&format!("/api/teams/{id}/")).json(&json!({"name": "Mine"})),
            app.patch(&format!("/api/teams/{id}/")).json(&json!({"name": "Mine"})),
            app.delete(&format!("/api/teams/{id}/")),
            app.get(&format!("/api/teams/{id}/members/")),
            app.patch(&format!("/api/teams/{id}/members/{}/", ada.id))
                .json(&json!({"role": "member"})),
            app.delete(&format!("/api/teams/{id}/members/{}/", ada.id)),
            app.get(&format!("/api/teams/{id}/invitations/")),
            app.post(&format!("/api/teams/{id}/invitations/"))
                .json(&json!({"username": "eve"})),
            app.delete(&format!("/api/teams/{id}/invitations/{invitation}/")),
            app.put(&format!("/api/teams/{id}/membership/")),
            app.delete(&format!("/api/teams/{id}/membership/")),
        ];
        for request in requests {
            let response = request.v2().auth(&eve).send().await;
            assert_eq!(response.status, 404, "team {id}: {}", response.text);
            assert_eq!(response.json["detail"], "Not found.");
        }
    }
    // Nothing changed.
    assert_eq!(team_name_in_db(&app, team).await, "Design");
    assert_eq!(roles_in_db(&app, team).await, [(ada.id, "owner".to_owned())]);
    let v1 = app.get(&format!("/api/teams/{team}")).auth(&eve).send().await;
    assert_eq!(v1.status, 404);
    assert_eq!(v1.json, json!({"detail": "Not found."}));
}

#[actix_web::test]
async fn a_member_trying_an_owners_action_gets_403() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let eve = app.user("eve").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    let invitation = common::invite(&app, &ada, team, &eve).await;

    let requests = [
        app.put(&format!("/api/teams/{team}/")).json(&json!({"name": "Mine"})),
        app.patch(&format!("/api/teams/{team}/")).json(&json!({"name": "Mine"})),
        app.delete(&format!("/api/teams/{team}/")),
        app.patch(&format!("/api/teams/{team}/members/{}/", bob.id))
            .json(&json!({"role": "owner"})),
        app.delete(&format!("/api/teams/{team}/members/{}/", ada.id)),
        app.get(&format!("/api/teams/{team}/invitations/")),
        app.post(&format!("/api/teams/{team}/invitations/"))
            .json(&json!({"username": "eve"})),
        app.delete(&format!("/api/teams/{team}/invitations/{invitation}/")),
    ];
    for request in requests {
        let response = request.auth(&bob).send().await;
        assert_eq!(response.status, 403, "{}", response.text);
        assert_eq!(
            response.json,
            json!({"detail": "Only an owner of this team can do this."})
        );
    }
    // A member still reads the team and its members.
    assert_eq!(
        app.get(&format!("/api/teams/{team}/")).auth(&bob).send().await.status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/teams/{team}/members/"))
            .auth(&bob)
            .send()
            .await
            .status,
        200
    );
    assert_eq!(team_name_in_db(&app, team).await, "Design");
    assert_eq!(
        roles_in_db(&app, team).await,
        [(ada.id, "owner".to_owned()), (bob.id, "member".to_owned())]
    );
    assert_eq!(common::invitees_in_db(&app, team).await, [eve.id]);
}

#[actix_web::test]
async fn an_owner_renames_with_put_and_patch() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = create_team(&app, &ada, "Design").await;

    let put = app
        .put(&format!("/api/teams/{team}"))
        .auth(&ada)
        .json(&json!({"name": " Product ", "id": 1, "users": []}))
        .send()
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["name"], "Product");
    assert_eq!(team_name_in_db(&app, team).await, "Product");

    let missing = app
        .put(&format!("/api/teams/{team}"))
        .auth(&ada)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json, json!({"name": ["This field is required."]}));

    let unchanged = app
        .patch(&format!("/api/teams/{team}"))
        .v2()
        .auth(&ada)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json["name"], "Product");

    let patch = app
        .patch(&format!("/api/teams/{team}"))
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Research"}))
        .send()
        .await;
    assert_eq!(patch.status, 200, "{}", patch.text);
    assert_eq!(patch.json["name"], "Research");
    assert!(patch.header("etag").is_some());
    assert_eq!(team_name_in_db(&app, team).await, "Research");
}

#[actix_web::test]
async fn stale_if_match_gets_412_and_the_current_etag_succeeds() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;

    let read = app.get(&format!("/api/teams/{team}/")).v2().auth(&ada).send().await;
    let etag = read.header("etag").expect("etag").to_owned();
    // The same state gives the same tag.
    let again = app.get(&format!("/api/teams/{team}/")).v2().auth(&ada).send().await;
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    // A membership change changes the tag.
    join(&app, &ada, team, &bob).await;
    let current = app.get(&format!("/api/teams/{team}/")).v2().auth(&ada).send().await;
    let current_etag = current.header("etag").expect("etag").to_owned();
    assert_ne!(current_etag, etag);

    for request in [
        app.put(&format!("/api/teams/{team}/")).json(&json!({"name": "Stale"})),
        app.patch(&format!("/api/teams/{team}/"))
            .json(&json!({"name": "Stale"})),
        app.delete(&format!("/api/teams/{team}/")),
    ] {
        let response = request.v2().auth(&ada).header("If-Match", &etag).send().await;
        assert_eq!(response.status, 412, "{}", response.text);
        assert_eq!(response.header("content-type"), Some("application/problem+json"));
    }
    assert_eq!(team_name_in_db(&app, team).await, "Design");

    let renamed = app
        .patch(&format!("/api/teams/{team}/"))
        .v2()
        .auth(&ada)
        .header("If-Match", &current_etag)
        .json(&json!({"name": "Fresh"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let new_etag = renamed.header("etag").expect("etag").to_owned();
    assert_ne!(new_etag, current_etag);
    let read_back = app.get(&format!("/api/teams/{team}/")).v2().auth(&bob).send().await;
    assert_eq!(read_back.header("etag"), Some(new_etag.as_str()));

    let deleted = app
        .delete(&format!("/api/teams/{team}/"))
        .v2()
        .auth(&ada)
        .header("If-Match", &new_etag)
        .send()
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(!team_exists(&app, team).await);
}

#[actix_web::test]
async fn a_1_0_client_that_sends_if_match_gets_it_checked() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    let read = app.get(&format!("/api/teams/{team}/")).v2().auth(&ada).send().await;
    let stale = read.header("etag").expect("etag").to_owned();
    join(&app, &ada, team, &bob).await;

    for request in [
        app.put(&format!("/api/teams/{team}/")).json(&json!({"name": "Stale"})),
        app.patch(&format!("/api/teams/{team}/"))
            .json(&json!({"name": "Stale"})),
        app.delete(&format!("/api/teams/{team}/")),
    ] {
        let response = request.auth(&ada).header("If-Match", &stale).send().await;
        assert_eq!(response.status, 412, "{}", response.text);
        assert!(response.json["detail"].is_string(), "{}", response.text);
    }
    assert_eq!(team_name_in_db(&app, team).await, "Design");

    let current = app.get(&format!("/api/teams/{team}/")).v2().auth(&ada).send().await;
    let current = current.header("etag").expect("etag").to_owned();
    let renamed = app
        .patch(&format!("/api/teams/{team}/"))
        .auth(&ada)
        .header("If-Match", &current)
        .json(&json!({"name": "Fresh"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(team_name_in_db(&app, team).await, "Fresh");
}

#[actix_web::test]
async fn an_owner_deletes_a_team_and_its_members_lose_it() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;

    let response = app.delete(&format!("/api/teams/{team}/")).auth(&ada).send().await;
    assert_eq!(response.status, 204, "{}", response.text);
    assert!(!team_exists(&app, team).await);
    assert!(roles_in_db(&app, team).await.is_empty());
    let gone = app.get(&format!("/api/teams/{team}/")).auth(&bob).send().await;
    assert_eq!(gone.status, 404);
}

#[actix_web::test]
async fn a_personal_team_cannot_be_deleted_renamed_or_left() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let personal = ada.personal_team_id;

    let v1 = app.delete(&format!("/api/teams/{personal}/")).auth(&ada).send().await;
    assert_eq!(v1.status, 400);
    assert_eq!(v1.json, json!({"detail": "A personal team cannot be deleted."}));
    let v2 = app
        .delete(&format!("/api/teams/{personal}/"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(v2.status, 409);
    assert_eq!(v2.json["detail"], "A personal team cannot be deleted.");

    let leave_v1 = app
        .delete(&format!("/api/teams/{personal}/membership/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(leave_v1.status, 400);
    assert_eq!(leave_v1.json, json!({"detail": "You cannot leave your personal team."}));
    let leave_v2 = app
        .delete(&format!("/api/teams/{personal}/members/{}/", ada.id))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(leave_v2.status, 409);

    let rename = app
        .put(&format!("/api/teams/{personal}/"))
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Something else"}))
        .send()
        .await;
    assert_eq!(rename.status, 409);
    assert!(rename.json["errors"]["name"].is_array());

    assert!(team_exists(&app, personal).await);
    assert_eq!(team_name_in_db(&app, personal).await, "ada");
    assert_eq!(roles_in_db(&app, personal).await, [(ada.id, "owner".to_owned())]);
}

#[actix_web::test]
async fn team_routes_need_credentials() {
    let app = spawn_app().await;
    for path in [
        "/api/teams/",
        "/api/teams/1/",
        "/api/teams/1/members/",
        "/api/invitations/",
    ] {
        let response = app.get(path).send().await;
        assert_eq!(response.status, 401, "{path}");
        assert_eq!(response.header("www-authenticate"), Some("Basic realm=\"api\""));
    }
}

#[actix_web::test]
async fn a_non_numeric_id_is_404_with_or_without_credentials() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let members = format!("/api/teams/{team}/members/abc/");
    let invitations = format!("/api/teams/{team}/invitations/abc/");
    let name = json!({"name": "Design"});
    let role = json!({"role": "owner"});
    let username = json!({"username": "ada"});
    for authenticated in [false, true] {
        for v2 in [false, true] {
            let requests = [
                app.get("/api/teams/abc/"),
                app.get("/api/teams/abc"),
                app.put("/api/teams/abc/").json(&name),
                app.patch("/api/teams/abc/").json(&name),
                app.delete("/api/teams/abc/"),
                app.get("/api/teams/abc/members/"),
                app.patch("/api/teams/abc/members/1/").json(&role),
                app.patch(&members).json(&role),
                app.delete("/api/teams/abc/members/1/"),
                app.delete(&members),
                app.get("/api/teams/abc/invitations/"),
                app.post("/api/teams/abc/invitations/").json(&username),
                app.delete("/api/teams/abc/invitations/1/"),
                app.delete(&invitations),
                app.put("/api/teams/abc/membership/"),
                app.delete("/api/teams/abc/membership/"),
            ];
            for (i, request) in requests.into_iter().enumerate() {
                let request = if v2 { request.v2() } else { request };
                let request = if authenticated { request.auth(&ada) } else { request };
                let response = request.send().await;
                response.assert_not_found(v2, &format!("request {i} v2={v2} authenticated={authenticated}"));
            }
        }
    }
}
