//! Invitations: only invited users join; inviting, listing, accepting,
//! declining and revoking.

mod common;

use common::{create_team, invite, invitees_in_db, join, roles_in_db};
use futures_util::future::join as both;
use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn an_invited_user_sees_the_invitation_accepts_and_becomes_a_member() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;

    let created = app
        .post(&format!("/api/teams/{team}/invitations/"))
        .auth(&ada)
        .json(&json!({"username": "BOB"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_i64().expect("id");
    let expected = json!({
        "id": id,
        "team": {"id": team, "name": "Design"},
        "invitee": {"id": bob.id, "username": "bob"},
        "invited_by": {"id": ada.id, "username": "ada"},
        "created_at": created.json["created_at"],
    });
    assert_eq!(created.json, expected);
    assert!(created.json["created_at"].is_string());
    assert_eq!(invitees_in_db(&app, team).await, [bob.id]);

    let mine_v1 = app.get("/api/invitations/").auth(&bob).send().await;
    assert_eq!(mine_v1.status, 200);
    assert_eq!(mine_v1.json, json!([expected]));
    let mine_v2 = app.get("/api/invitations").v2().auth(&bob).send().await;
    assert_eq!(mine_v2.json, json!({"items": [expected], "next_cursor": null}));
    let team_list = app
        .get(&format!("/api/teams/{team}/invitations/"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(team_list.status, 200);
    assert_eq!(team_list.json, json!({"items": [expected], "next_cursor": null}));
    // Ada has no invitations of her own; an invitee does not see the team yet.
    assert_eq!(app.get("/api/invitations/").auth(&ada).send().await.json, json!([]));
    assert_eq!(
        app.get(&format!("/api/teams/{team}/")).auth(&bob).send().await.status,
        404
    );

    let accepted = app
        .put(&format!("/api/teams/{team}/membership/"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(accepted.status, 204, "{}", accepted.text);
    assert!(accepted.text.is_empty());
    assert_eq!(
        roles_in_db(&app, team).await,
        [(ada.id, "owner".to_owned()), (bob.id, "member".to_owned())]
    );
    assert!(invitees_in_db(&app, team).await.is_empty());
    assert_eq!(app.get("/api/invitations/").auth(&bob).send().await.json, json!([]));
    let seen = app.get(&format!("/api/teams/{team}/")).v2().auth(&bob).send().await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json["role"], "member");
    // Accepting again changes nothing.
    let again = app
        .put(&format!("/api/teams/{team}/membership/"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(again.status, 204);
    assert_eq!(roles_in_db(&app, team).await.len(), 2);
}

#[actix_web::test]
async fn joining_without_an_invitation_is_a_404() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let team = create_team(&app, &ada, "Design").await;
    for request in [
        app.put(&format!("/api/teams/{team}/membership/")),
        app.put(&format!("/api/teams/{}/membership/", ada.personal_team_id)),
        app.put(&format!("/api/teams/{}/membership/", team + 1000)),
    ] {
        let response = request.v2().auth(&eve).send().await;
        assert_eq!(response.status, 404, "{}", response.text);
    }
    assert_eq!(roles_in_db(&app, team).await, [(ada.id, "owner".to_owned())]);
    assert_eq!(roles_in_db(&app, ada.personal_team_id).await.len(), 1);
}

#[actix_web::test]
async fn an_invitee_accepting_a_revoked_invitation_gets_404() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    let invitation = invite(&app, &ada, team, &bob).await;

    let revoked = app
        .delete(&format!("/api/teams/{team}/invitations/{invitation}/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert!(invitees_in_db(&app, team).await.is_empty());
    assert_eq!(app.get("/api/invitations/").auth(&bob).send().await.json, json!([]));

    let accept = app
        .put(&format!("/api/teams/{team}/membership/"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(accept.status, 404);
    assert_eq!(roles_in_db(&app, team).await, [(ada.id, "owner".to_owned())]);

    let revoke_again = app
        .delete(&format!("/api/teams/{team}/invitations/{invitation}/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(revoke_again.status, 404);
}

#[actix_web::test]
async fn accepting_while_the_invitation_is_revoked_either_joins_or_not_never_500() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    app.get("/api/invitations/").auth(&bob).send().await;
    for round in 0..3 {
        let team = create_team(&app, &ada, &format!("Team {round}")).await;
        let invitation = invite(&app, &ada, team, &bob).await;
        let (accept, revoke) = both(
            app.put(&format!("/api/teams/{team}/membership/")).auth(&bob).send(),
            app.delete(&format!("/api/teams/{team}/invitations/{invitation}/"))
                .auth(&ada)
                .send(),
        )
        .await;
        let roles = roles_in_db(&app, team).await;
        match (accept.status, revoke.status) {
            (204, 404) => assert_eq!(roles.len(), 2),
            (404, 204) => assert_eq!(roles.len(), 1),
            other => panic!("unexpected {other:?}: {} / {}", accept.text, revoke.text),
        }
        assert!(invitees_in_db(&app, team).await.is_empty());
    }
}

#[actix_web::test]
async fn an_invitee_declines_with_delete_membership() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    invite(&app, &ada, team, &bob).await;

    let declined = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .v2()
        .auth(&bob)
        .send()
        .await;
    assert_eq!(declined.status, 204, "{}", declined.text);
    assert!(invitees_in_db(&app, team).await.is_empty());
    assert_eq!(roles_in_db(&app, team).await, [(ada.id, "owner".to_owned())]);
    let again = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .v2()
        .auth(&bob)
        .send()
        .await;
    assert_eq!(again.status, 404);
}

#[actix_web::test]
async fn inviting_an_unknown_user_a_member_or_an_invitee_again_is_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    invite(&app, &ada, team, &cyd).await;
    let path = format!("/api/teams/{team}/invitations/");

    let unknown = app
        .post(&path)
        .auth(&ada)
        .json(&json!({"username": "nobody"}))
        .send()
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json, json!({"username": ["No user with that username."]}));
    let missing = app.post(&path).v2().auth(&ada).json(&json!({})).send().await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json["errors"]["username"], json!(["This field is required."]));

    for (username, message) in [
        ("bob", "That user is already a member of this team."),
        ("ada", "That user is already a member of this team."),
        ("Cyd", "That user is already invited to this team."),
    ] {
        let v1 = app
            .post(&path)
            .auth(&ada)
            .json(&json!({"username": username}))
            .send()
            .await;
        assert_eq!(v1.status, 400, "{username}");
        assert_eq!(v1.json, json!({"username": [message]}));
        let v2 = app
            .post(&path)
            .v2()
            .auth(&ada)
            .json(&json!({"username": username}))
            .send()
            .await;
        assert_eq!(v2.status, 409, "{username}");
        assert_eq!(v2.json["errors"]["username"], json!([message]));
    }
    assert_eq!(invitees_in_db(&app, team).await, [cyd.id]);
}

#[actix_web::test]
async fn concurrent_invitations_of_one_user_give_one_invitation() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    let path = format!("/api/teams/{team}/invitations/");
    let (a, b) = both(
        app.post(&path).v2().auth(&ada).json(&json!({"username": "bob"})).send(),
        app.post(&path).v2().auth(&ada).json(&json!({"username": "bob"})).send(),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text, b.text);
    assert_eq!(invitees_in_db(&app, team).await, [bob.id]);
}

#[actix_web::test]
async fn invitations_are_paged_and_revoking_needs_the_right_team() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = create_team(&app, &ada, "Design").await;
    let other = create_team(&app, &ada, "Other").await;
    let mut ids = Vec::new();
    for name in ["bob", "cyd", "dan"] {
        let user = app.user(name).await;
        ids.push(invite(&app, &ada, team, &user).await);
    }

    let first = app
        .get(&format!("/api/teams/{team}/invitations/?limit=2"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    let got: Vec<i64> = first.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, ids[..2]);
    let cursor = first.json["next_cursor"].as_str().expect("cursor").to_owned();
    let second = app
        .get(&format!("/api/teams/{team}/invitations/?limit=2&cursor={cursor}"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(second.json["items"][0]["id"], ids[2]);
    assert_eq!(second.json["next_cursor"], json!(null));

    let v1 = app
        .get(&format!("/api/teams/{team}/invitations/?limit=1"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(v1.json.as_array().map(Vec::len), Some(1));
    assert!(v1.header("link").is_some());

    // An invitation of one team cannot be revoked through another.
    let wrong = app
        .delete(&format!("/api/teams/{other}/invitations/{}/", ids[0]))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(wrong.status, 404);
    assert_eq!(invitees_in_db(&app, team).await.len(), 3);
}

#[actix_web::test]
async fn an_invitation_shows_a_null_inviter_once_their_account_is_gone() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    common::promote(&app, &ada, team, &bob).await;
    invite(&app, &ada, team, &cyd).await;
    let deleted = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let mine = app.get("/api/invitations/").v2().auth(&cyd).send().await;
    assert_eq!(mine.json["items"][0]["invited_by"], json!(null));
    assert_eq!(mine.json["items"][0]["team"], json!({"id": team, "name": "Design"}));
    let accepted = app
        .put(&format!("/api/teams/{team}/membership/"))
        .auth(&cyd)
        .send()
        .await;
    assert_eq!(accepted.status, 204);
}
