//! Many Basic logins at once: a client using its right password in parallel
//! is never refused, while parallel guesses stay within the throttle's limits.

use std::time::Duration;

use futures_util::future::join_all;
use test_support::{spawn_app, spawn_app_with, Response, TestApp, TestUser};

/// The default limits of the throttle.
const PER_ADDRESS_AND_USERNAME: usize = 10;
const PER_ADDRESS: usize = 100;

async fn all_at_once(app: &TestApp, user: &TestUser, count: usize) -> Vec<u16> {
    let requests = (0..count).map(|_| app.get("/api/users/me/").auth(user).send());
    join_all(requests).await.iter().map(|r| r.status).collect()
}

fn statuses(responses: &[Response], status: u16) -> usize {
    responses.iter().filter(|r| r.status == status).count()
}

#[actix_web::test]
async fn parallel_requests_with_the_right_password_on_a_cold_cache_all_succeed() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let statuses = all_at_once(&app, &ada, 48).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[actix_web::test]
async fn parallel_requests_with_the_right_password_all_succeed_without_a_cache() {
    let app = spawn_app_with(|settings| settings.auth_cache_ttl = Duration::ZERO).await;
    let ada = app.user("ada").await;
    let statuses = all_at_once(&app, &ada, 40).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Nothing was counted against the client: wrong guesses still get their full allowance.
    for _ in 0..PER_ADDRESS_AND_USERNAME {
        assert_eq!(
            app.get("/api/users/me/")
                .basic("ada", "guess guess")
                .send()
                .await
                .status,
            401
        );
    }
    assert_eq!(app.get("/api/users/me/").auth(&ada).send().await.status, 429);
}

#[actix_web::test]
async fn parallel_wrong_guesses_lock_out_only_the_guessing_address() {
    let app = spawn_app_with(|settings| settings.trust_forwarded_for = true).await;
    let ada = app.user("ada").await;
    let attacker = "203.0.113.5";
    let guesses = (0..30).map(|i| {
        app.get("/api/users/me/")
            .header("X-Forwarded-For", attacker)
            .basic("ada", &format!("guess number {i}"))
            .send()
    });
    let responses = join_all(guesses).await;
    let (checked, throttled) = (statuses(&responses, 401), statuses(&responses, 429));
    assert_eq!(checked + throttled, 30);
    assert_eq!(
        checked, PER_ADDRESS_AND_USERNAME,
        "one guess at a time is checked, up to the limit"
    );
    let right_from_attacker = app
        .get("/api/users/me/")
        .header("X-Forwarded-For", attacker)
        .auth(&ada)
        .send()
        .await;
    assert_eq!(right_from_attacker.status, 429);
    assert!(right_from_attacker.header("retry-after").is_some());
    let owner = app
        .get("/api/users/me/")
        .header("X-Forwarded-For", "198.51.100.7")
        .auth(&ada)
        .send()
        .await;
    assert_eq!(owner.status, 200);
    assert_eq!(owner.json["username"], "ada");
}

#[actix_web::test]
async fn parallel_guesses_across_many_usernames_stay_within_the_address_limit() {
    let app = spawn_app_with(|settings| settings.trust_forwarded_for = true).await;
    let ada = app.user("ada").await;
    let guesses = (0..PER_ADDRESS + 30).map(|i| {
        app.get("/api/users/me/")
            .header("X-Forwarded-For", "203.0.113.9")
            .basic(&format!("user{i}"), "guess guess")
            .send()
    });
    let responses = join_all(guesses).await;
    let (checked, throttled) = (statuses(&responses, 401), statuses(&responses, 429));
    assert_eq!(checked + throttled, PER_ADDRESS + 30);
    assert!(
        checked <= PER_ADDRESS,
        "{checked} guesses were checked, the limit is {PER_ADDRESS}"
    );
    let other_address = app
        .get("/api/users/me/")
        .header("X-Forwarded-For", "198.51.100.7")
        .auth(&ada)
        .send()
        .await;
    assert_eq!(other_address.status, 200);
}
