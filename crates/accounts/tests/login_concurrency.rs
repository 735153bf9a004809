//! Many Basic logins at once: a client using its right password in parallel
//! is never refused, while parallel guesses stay within the throttle's limits.

use std::time::Duration;

use base64::Engine;
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
    let app = spawn_app_with(|settings| {
        settings.trust_forwarded_for = true;
        // About limits, not time: 130 hashes at once on two cores can take
        // longer than the default request timeout (then 503).
        settings.request_timeout = Duration::from_secs(60);
    })
    .await;
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

/// The default limit of failures for one username, all addresses.
const PER_USERNAME: usize = 20;

#[actix_web::test]
async fn guesses_from_a_new_address_each_time_are_bounded_while_the_owner_logs_in_from_a_known_one() {
    let app = spawn_app_with(|settings| {
        settings.trust_forwarded_for = true;
        settings.auth_cache_ttl = Duration::ZERO;
    })
    .await;
    let ada = app.user("ada").await;
    let home = "198.51.100.7";
    let from = |address: &str| app.get("/api/users/me/").header("X-Forwarded-For", address);
    assert_eq!(from(home).auth(&ada).send().await.status, 200);
    let mut statuses = Vec::new();
    for i in 0..60u32 {
        let address = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256 + 1);
        let guess = from(&address).basic("ada", &format!("guess number {i}")).send().await;
        if guess.status == 429 {
            assert!(guess.header("retry-after").is_some());
        }
        statuses.push(guess.status);
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, PER_USERNAME, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 60 - PER_USERNAME);
    // The owner, from where they logged in before, is checked and let in.
    assert_eq!(from(home).auth(&ada).send().await.status, 200);
    // From an address never seen with this user, even the right password waits out the window.
    assert_eq!(from("192.0.2.99").auth(&ada).send().await.status, 429);
}

#[actix_web::test]
async fn many_right_logins_at_once_from_one_address_queue_instead_of_being_refused() {
    use database::schema::users;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let app = spawn_app_with(|settings| {
        // About queueing, not time: 120 hashes at once on two cores can take
        // longer than the default request timeout (then 503).
        settings.request_timeout = Duration::from_secs(60);
        settings.trust_forwarded_for = true;
        settings.auth_cache_ttl = Duration::ZERO;
    })
    .await;
    let ada = app.user("ada").await;
    // More users than the address' verification slots, all with ada's password.
    let count = PER_ADDRESS + 20;
    let mut conn = app.pool.get().await.expect("connection");
    let hash: String = users::table
        .find(ada.id)
        .select(users::password_hash)
        .first(&mut conn)
        .await
        .expect("ada's hash");
    let rows: Vec<_> = (0..count)
        .map(|i| {
            (
                users::username.eq(format!("user{i}")),
                users::password_hash.eq(hash.clone()),
            )
        })
        .collect();
    diesel::insert_into(users::table)
        .values(rows)
        .execute(&mut conn)
        .await
        .expect("users");
    drop(conn);
    // A client with more connections than the address has slots (the harness' client has 100).
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(count * 2))
        .timeout(Duration::from_secs(60))
        .finish();
    let logins = (0..count).map(|i| {
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("user{i}:{}", ada.password));
        client
            .get(format!("{}/api/users/me/", app.address))
            .insert_header(("X-Forwarded-For", "203.0.113.20"))
            .insert_header(("Authorization", format!("Basic {credentials}")))
            .send()
    });
    let responses = join_all(logins).await;
    let refused: Vec<_> = responses
        .iter()
        .map(|r| r.as_ref().expect("a response"))
        .filter(|r| r.status() != 200)
        .map(|r| (r.status().as_u16(), r.headers().get("retry-after").cloned()))
        .collect();
    assert!(refused.is_empty(), "right passwords were refused: {refused:?}");
}
