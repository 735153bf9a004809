//! Members and roles: listing, promoting, stepping down, leaving, removing,
//! races between owners, and what account deletion does to teams.

mod common;

use common::{create_team, join, promote, roles_in_db, team_exists};
use futures_util::future::join as both;
use serde_json::json;
use test_support::spawn_app;

fn owner(id: i64) -> (i64, String) {
    (id, "owner".to_owned())
}

fn member(id: i64) -> (i64, String) {
    (id, "member".to_owned())
}

#[actix_web::test]
async fn members_are_listed_with_roles_and_paged_in_both_versions() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    join(&app, &ada, team, &cyd).await;
    let all = json!([
        {"id": ada.id, "username": "ada", "role": "owner"},
        {"id": bob.id, "username": "bob", "role": "member"},
        {"id": cyd.id, "username": "cyd", "role": "member"},
    ]);

    let v1 = app.get(&format!("/api/teams/{team}/members/")).auth(&bob).send().await;
    assert_eq!(v1.status, 200);
    assert_eq!(v1.json, all);

    let first = app
        .get(&format!("/api/teams/{team}/members?limit=2"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(first.json, json!([all[0], all[1]]));
    let link = first.header("link").expect("Link").to_owned();
    let url = link.trim_start_matches('<').split('>').next().expect("url");
    let second = app
        .get(&url[url.find("/api/").expect("path")..])
        .auth(&bob)
        .send()
        .await;
    assert_eq!(second.json, json!([all[2]]));
    assert!(second.header("link").is_none());

    let page = app
        .get(&format!("/api/teams/{team}/members/?limit=2"))
        .v2()
        .auth(&cyd)
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json["items"], json!([all[0], all[1]]));
    let cursor = page.json["next_cursor"].as_str().expect("cursor").to_owned();
    let last = app
        .get(&format!("/api/teams/{team}/members/?limit=2&cursor={cursor}"))
        .v2()
        .auth(&cyd)
        .send()
        .await;
    assert_eq!(last.json, json!({"items": [all[2]], "next_cursor": null}));

    // The 2.0 team shows the members and my role in it.
    let team_v2 = app.get(&format!("/api/teams/{team}")).v2().auth(&bob).send().await;
    assert_eq!(team_v2.json["members"], all);
    assert_eq!(team_v2.json["role"], "member");
}

#[actix_web::test]
async fn an_owner_changes_roles_and_an_invalid_role_is_a_field_error() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;

    let promoted = app
        .patch(&format!("/api/teams/{team}/members/{}/", bob.id))
        .auth(&ada)
        .json(&json!({"role": "owner"}))
        .send()
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.json, json!({"id": bob.id, "username": "bob", "role": "owner"}));
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id), owner(bob.id)]);

    for body in [
        json!({"role": "admin"}),
        json!({}),
        json!({"role": null}),
        json!({"role": 1}),
    ] {
        let v1 = app
            .patch(&format!("/api/teams/{team}/members/{}/", bob.id))
            .auth(&ada)
            .json(&body)
            .send()
            .await;
        assert_eq!(v1.status, 400, "{body}");
        assert!(v1.json["role"].is_array(), "{body}: {}", v1.text);
        let v2 = app
            .patch(&format!("/api/teams/{team}/members/{}/", bob.id))
            .v2()
            .auth(&ada)
            .json(&body)
            .send()
            .await;
        assert_eq!(v2.status, 400, "{body}");
        assert!(v2.json["errors"]["role"].is_array(), "{body}: {}", v2.text);
    }

    // Someone who is not a member cannot be given a role.
    let stranger = app.user("eve").await;
    let response = app
        .patch(&format!("/api/teams/{team}/members/{}/", stranger.id))
        .auth(&ada)
        .json(&json!({"role": "owner"}))
        .send()
        .await;
    assert_eq!(response.status, 404);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id), owner(bob.id)]);
}

#[actix_web::test]
async fn the_last_owner_cannot_leave_or_step_down_while_others_remain() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    let message = "A team must keep an owner: make another member an owner first.";

    let leave_v1 = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(leave_v1.status, 400);
    assert_eq!(leave_v1.json, json!({"detail": message}));
    let leave_v2 = app
        .delete(&format!("/api/teams/{team}/members/{}/", ada.id))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(leave_v2.status, 409);
    assert_eq!(leave_v2.json["detail"], message);
    let step_down = app
        .patch(&format!("/api/teams/{team}/members/{}/", ada.id))
        .v2()
        .auth(&ada)
        .json(&json!({"role": "member"}))
        .send()
        .await;
    assert_eq!(step_down.status, 409);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id), member(bob.id)]);

    // With another owner, the first may step down, then leave.
    promote(&app, &ada, team, &bob).await;
    let step_down = app
        .patch(&format!("/api/teams/{team}/members/{}/", ada.id))
        .v2()
        .auth(&ada)
        .json(&json!({"role": "member"}))
        .send()
        .await;
    assert_eq!(step_down.status, 200, "{}", step_down.text);
    let leave = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(leave.status, 204, "{}", leave.text);
    assert_eq!(roles_in_db(&app, team).await, [owner(bob.id)]);
    assert_eq!(
        app.get(&format!("/api/teams/{team}")).auth(&ada).send().await.status,
        404
    );
}

#[actix_web::test]
async fn a_sole_owner_cannot_step_down_even_alone() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = create_team(&app, &ada, "Design").await;
    let response = app
        .patch(&format!("/api/teams/{team}/members/{}/", ada.id))
        .v2()
        .auth(&ada)
        .json(&json!({"role": "member"}))
        .send()
        .await;
    assert_eq!(response.status, 409);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id)]);
}

#[actix_web::test]
async fn the_sole_member_leaving_deletes_the_team() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = create_team(&app, &ada, "Design").await;
    let response = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(response.status, 204, "{}", response.text);
    assert!(!team_exists(&app, team).await);
    // Its name is free again.
    create_team(&app, &ada, "design").await;
}

#[actix_web::test]
async fn members_leave_or_remove_themselves_and_owners_remove_members() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    join(&app, &ada, team, &cyd).await;

    // A member removes themselves.
    let bob_leaves = app
        .delete(&format!("/api/teams/{team}/members/{}/", bob.id))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(bob_leaves.status, 204, "{}", bob_leaves.text);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id), member(cyd.id)]);

    // An owner removes a member; removing them again is a 404.
    let removed = app
        .delete(&format!("/api/teams/{team}/members/{}/", cyd.id))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let again = app
        .delete(&format!("/api/teams/{team}/members/{}/", cyd.id))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id)]);
    assert_eq!(
        app.get(&format!("/api/teams/{team}/")).auth(&cyd).send().await.status,
        404
    );
}

#[actix_web::test]
async fn an_owner_may_remove_another_owner() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    promote(&app, &ada, team, &bob).await;
    let response = app
        .delete(&format!("/api/teams/{team}/members/{}/", ada.id))
        .v2()
        .auth(&bob)
        .send()
        .await;
    assert_eq!(response.status, 204, "{}", response.text);
    assert_eq!(roles_in_db(&app, team).await, [owner(bob.id)]);
}

#[actix_web::test]
async fn the_user_of_a_shared_personal_team_stays_its_owner() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let personal = ada.personal_team_id;
    join(&app, &ada, personal, &bob).await;
    promote(&app, &ada, personal, &bob).await;
    for request in [
        app.patch(&format!("/api/teams/{personal}/members/{}/", ada.id))
            .json(&json!({"role": "member"})),
        app.delete(&format!("/api/teams/{personal}/members/{}/", ada.id)),
    ] {
        let response = request.v2().auth(&bob).send().await;
        assert_eq!(response.status, 409, "{}", response.text);
    }
    assert_eq!(roles_in_db(&app, personal).await, [owner(ada.id), owner(bob.id)]);
    // Bob may leave it.
    let leave = app
        .delete(&format!("/api/teams/{personal}/membership/"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(leave.status, 204);
    assert_eq!(roles_in_db(&app, personal).await, [owner(ada.id)]);
}

#[actix_web::test]
async fn two_owners_demoting_each_other_at_once_leave_the_team_an_owner() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    for round in 0..3 {
        let team = create_team(&app, &ada, &format!("Team {round}")).await;
        join(&app, &ada, team, &bob).await;
        join(&app, &ada, team, &cyd).await;
        promote(&app, &ada, team, &bob).await;
        let (a, b) = both(
            app.patch(&format!("/api/teams/{team}/members/{}/", bob.id))
                .v2()
                .auth(&ada)
                .json(&json!({"role": "member"}))
                .send(),
            app.patch(&format!("/api/teams/{team}/members/{}/", ada.id))
                .v2()
                .auth(&bob)
                .json(&json!({"role": "member"}))
                .send(),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        // The second to get the lock is no longer an owner.
        assert_eq!(statuses, [200, 403], "{} / {}", a.text, b.text);
        let roles = roles_in_db(&app, team).await;
        assert_eq!(roles.iter().filter(|(_, role)| role == "owner").count(), 1, "{roles:?}");
    }
}

#[actix_web::test]
async fn two_owners_stepping_down_at_once_leave_the_team_an_owner() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    for round in 0..3 {
        let team = create_team(&app, &ada, &format!("Team {round}")).await;
        join(&app, &ada, team, &bob).await;
        promote(&app, &ada, team, &bob).await;
        let (a, b) = both(
            app.patch(&format!("/api/teams/{team}/members/{}/", ada.id))
                .v2()
                .auth(&ada)
                .json(&json!({"role": "member"}))
                .send(),
            app.delete(&format!("/api/teams/{team}/membership/"))
                .v2()
                .auth(&bob)
                .send(),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(
            statuses == [200, 409] || statuses == [204, 409],
            "{statuses:?}: {} / {}",
            a.text,
            b.text
        );
        let roles = roles_in_db(&app, team).await;
        assert_eq!(roles.iter().filter(|(_, role)| role == "owner").count(), 1, "{roles:?}");
        assert_eq!(roles.len(), if b.status == 204 { 1 } else { 2 }, "{roles:?}");
    }
}

#[actix_web::test]
async fn deleting_the_account_of_a_last_owner_of_a_team_with_members_is_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;

    let v1 = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(v1.status, 400, "{}", v1.text);
    assert!(
        v1.json["detail"].as_str().is_some_and(|d| d.contains("last owner")),
        "{}",
        v1.text
    );
    let v2 = app.delete("/api/users/me/").v2().auth(&ada).send().await;
    assert_eq!(v2.status, 409, "{}", v2.text);
    assert!(team_exists(&app, ada.personal_team_id).await);
    assert_eq!(roles_in_db(&app, team).await, [owner(ada.id), member(bob.id)]);

    // Once Bob owns it too, Ada may go; Bob keeps the team.
    promote(&app, &ada, team, &bob).await;
    let gone = app.delete("/api/users/me/").v2().auth(&ada).send().await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_eq!(roles_in_db(&app, team).await, [owner(bob.id)]);
}

#[actix_web::test]
async fn deleting_an_account_removes_its_memberships_and_its_personal_team() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let shared = create_team(&app, &ada, "Design").await;
    join(&app, &ada, shared, &bob).await;
    let alone = create_team(&app, &bob, "Solo").await;
    common::invite(&app, &ada, shared, &app.user("cyd").await).await;

    let response = app.delete("/api/users/me/").auth(&bob).send().await;
    assert_eq!(response.status, 204, "{}", response.text);
    assert!(!team_exists(&app, bob.personal_team_id).await);
    assert!(roles_in_db(&app, bob.personal_team_id).await.is_empty());
    // A team Bob was alone in goes with him; Ada's team stays without him.
    assert!(!team_exists(&app, alone).await);
    assert_eq!(roles_in_db(&app, shared).await, [owner(ada.id)]);
    let members = app
        .get(&format!("/api/teams/{shared}/members/"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(
        members.json,
        json!([{"id": ada.id, "username": "ada", "role": "owner"}])
    );
}

#[actix_web::test]
async fn an_owner_deleting_an_account_while_a_co_owner_does_too_keeps_an_owner() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let cyd = app.user("cyd").await;
    let team = create_team(&app, &ada, "Design").await;
    join(&app, &ada, team, &bob).await;
    join(&app, &ada, team, &cyd).await;
    promote(&app, &ada, team, &bob).await;
    let (a, b) = both(
        app.delete("/api/users/me/").v2().auth(&ada).send(),
        app.delete("/api/users/me/").v2().auth(&bob).send(),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 409], "{} / {}", a.text, b.text);
    let roles = roles_in_db(&app, team).await;
    assert_eq!(roles.iter().filter(|(_, role)| role == "owner").count(), 1, "{roles:?}");
}
