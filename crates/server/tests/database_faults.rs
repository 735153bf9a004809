//! The database goes away under load: through a fault proxy between the app
//! and PostgreSQL, connections are cut or stalled while clients write.
//! Every answer is a 201 or a 503 with `Retry-After` (never a 500, never a
//! wait as long as the hang), every 201 is in the database, and the service
//! is back within a second of the database. (A write whose COMMIT went out
//! just before a cut may be stored though answered 503: the app cannot know.)

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::join_all;
use secrecy::ExposeSecret;
use serde_json::json;
use test_support::fault::FaultProxy;
use test_support::{spawn_app_with, TestApp, TestUser};

/// The app on a fresh database reached through a fault proxy.
async fn app_behind_proxy(request_timeout: Duration, statement_timeout: Duration) -> (TestApp, FaultProxy) {
    let proxy = std::cell::RefCell::new(None);
    let app = spawn_app_with(|settings| {
        let url = settings.database_url.expose_secret().to_owned();
        let (fault_proxy, proxied) = FaultProxy::for_database(&url);
        settings.database_url = proxied.into();
        settings.request_timeout = request_timeout;
        settings.db_statement_timeout = statement_timeout;
        *proxy.borrow_mut() = Some(fault_proxy);
    })
    .await;
    let proxy = proxy.into_inner().expect("the proxy");
    (app, proxy)
}

async fn create(app: &TestApp, user: &TestUser, name: &str) -> test_support::Response {
    app.post("/api/palettes/")
        .v2()
        .auth(user)
        .json(&json!({"name": name, "team_id": user.personal_team_id, "colors": ["#123456"]}))
        .send()
        .await
}

/// Names of the palettes stored, read around the proxy.
async fn stored_names(app: &TestApp) -> Vec<String> {
    use database::schema::palettes;
    let url = app.database_url();
    let mut conn = AsyncPgConnection::establish(&url).await.expect("a direct connection");
    palettes::table
        .select(palettes::name)
        .load(&mut conn)
        .await
        .expect("names")
}

/// Polls until a write succeeds: how long the service took to come back.
async fn back_within(app: &TestApp, user: &TestUser, limit: Duration) -> Duration {
    let healed = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        if create(app, user, &format!("after-{attempt}")).await.status == 201 {
            return healed.elapsed();
        }
        assert!(healed.elapsed() < limit, "not back within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assert_201_or_503(responses: &[(String, test_support::Response)]) {
    for (name, response) in responses {
        match response.status {
            201 => {}
            503 => {
                assert!(
                    response.header("retry-after").is_some(),
                    "{name}: 503 without Retry-After"
                );
                assert_eq!(response.header("content-type"), Some("application/problem+json"));
            }
            other => panic!("{name}: {other} {}", response.text),
        }
    }
}

#[actix_web::test]
async fn writes_during_a_cut_get_201_or_503_and_every_201_is_stored() {
    let (app, proxy) = app_behind_proxy(Duration::from_secs(2), Duration::from_secs(5)).await;
    let ann = app.user("ann").await;
    let writes = async {
        let mut responses = Vec::new();
        for round in 0..12 {
            let batch = (0..8).map(|i| {
                let name = format!("cut-{round}-{i}");
                let app = &app;
                let ann = &ann;
                async move { (name.clone(), create(app, ann, &name).await) }
            });
            responses.extend(join_all(batch).await);
        }
        responses
    };
    let fault = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        proxy.cut();
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.heal();
    };
    let (responses, ()) = futures_util::join!(writes, fault);
    assert_201_or_503(&responses);
    let refused = responses.iter().filter(|(_, r)| r.status == 503).count();
    assert!(
        refused > 0,
        "the cut refused nothing: it did not happen during the writes"
    );
    let back = back_within(&app, &ann, Duration::from_secs(1)).await;
    let stored = stored_names(&app).await;
    let mut unacknowledged = 0;
    for (name, response) in &responses {
        let is_stored = stored.contains(name);
        if response.status == 201 {
            assert!(is_stored, "{name} was acknowledged but is not stored");
        } else if is_stored {
            unacknowledged += 1;
        }
    }
    // A cut between a COMMIT and its reply leaves the outcome unknown to the
    // app: that write is answered 503 though it is stored. At most the
    // writes in flight when the cut came (one batch) can be such.
    assert!(unacknowledged <= 8, "{unacknowledged} stored writes got a 503");
    eprintln!(
        "cut: {refused} of {} writes got 503 ({unacknowledged} of them stored anyway); back {back:?} after the last one",
        responses.len()
    );
}

#[actix_web::test]
async fn a_stalled_database_is_a_503_within_the_request_timeout_and_readyz_follows() {
    let (app, proxy) = app_behind_proxy(Duration::from_millis(500), Duration::from_secs(5)).await;
    let ann = app.user("ann").await;
    assert_eq!(create(&app, &ann, "before").await.status, 201);
    proxy.stall();
    let started = Instant::now();
    let stalled = join_all((0..4).map(|i| {
        let app = &app;
        let ann = &ann;
        async move {
            let name = format!("stalled-{i}");
            (name.clone(), create(app, ann, &name).await)
        }
    }))
    .await;
    let waited = started.elapsed();
    assert_201_or_503(&stalled);
    assert!(
        stalled.iter().all(|(_, r)| r.status == 503),
        "a stalled database answered a write"
    );
    assert!(
        waited < Duration::from_millis(1500),
        "held {waited:?} by a stalled database"
    );
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status, 503, "readyz during a stall");
    proxy.heal();
    back_within(&app, &ann, Duration::from_secs(1)).await;
    assert_eq!(app.get("/readyz").send().await.status, 200);
    let stored = stored_names(&app).await;
    assert!(
        !stored.iter().any(|name| name.starts_with("stalled-")),
        "a 503 write was stored"
    );
}

#[actix_web::test]
async fn a_statement_that_runs_out_of_time_is_a_503_not_a_500() {
    let (app, _proxy) = app_behind_proxy(Duration::from_secs(3), Duration::from_millis(300)).await;
    let ann = app.user("ann").await;
    let created = create(&app, &ann, "locked").await;
    let id = created.json["id"].as_i64().expect("an id");
    // Another session holds the palette's row lock for longer than the statement timeout.
    let mut blocker = AsyncPgConnection::establish(&app.database_url())
        .await
        .expect("connection");
    let hold = blocker.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::sql_query(format!("SELECT id FROM palettes WHERE id = {id} FOR UPDATE"))
            .execute(conn)
            .await?;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        Ok(())
    });
    let write = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.patch(&format!("/api/palettes/{id}/"))
            .v2()
            .auth(&ann)
            .json(&json!({"name": "renamed"}))
            .send()
            .await
    };
    let (held, response) = futures_util::join!(hold, write);
    held.expect("the blocking transaction");
    assert_eq!(response.status, 503, "{}", response.text);
    assert!(response.header("retry-after").is_some());
}

#[actix_web::test]
async fn the_change_listener_keeps_to_the_direct_url_when_the_pool_goes_through_a_pooler() {
    // The pool through the proxy (a pooler), the listener's session straight to PostgreSQL.
    let proxy = std::cell::RefCell::new(None);
    let app = spawn_app_with(|settings| {
        let url = settings.database_url.expose_secret().to_owned();
        let (fault_proxy, proxied) = FaultProxy::for_database(&url);
        settings.database_direct_url = Some(url.into());
        settings.database_url = proxied.into();
        *proxy.borrow_mut() = Some(fault_proxy);
    })
    .await;
    let proxy = proxy.into_inner().expect("the proxy");
    let started = Instant::now();
    while !app.state.team_cache().is_live() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the listener never connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        app.state.team_cache().is_live(),
        "cutting the pool's route cut the listener too: it does not use DATABASE_DIRECT_URL"
    );
    proxy.heal();
}
