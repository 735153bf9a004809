//! The operators' command line (`palette-api users ...`, `palette-api teams
//! list`), run as the binary against a test database, with the API of a
//! server on the same database to check that the same rules held and the
//! same things happened.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use database::schema::{api_tokens, events, palettes, team_members, teams, users};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use test_support::db::{create_empty_database, missing_database};
use test_support::{spawn_app, TestApp};

/// What a run of the binary left.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the run ended with `code`, printing everything it said if not.
    fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{self:#?}");
    }

    /// Asserts that `secret` shows on neither stdout nor stderr.
    fn assert_hides(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "the password was shown: {self:#?}"
        );
    }

    /// The one line on stderr of a refusal, which must contain `says`;
    /// nothing on stdout.
    fn assert_refused(&self, says: &str) {
        self.assert_code(1);
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:#?}");
        assert!(self.stderr.starts_with("palette-api: "), "{self:#?}");
        assert!(self.stderr.contains(says), "expected {says:?}: {self:#?}");
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:#?}"))
    }
}

/// Runs `palette-api args...` on `database_url` with `stdin` as its
/// standard input (none: not a terminal, and empty). `LOG_LEVEL=debug` is
/// set, as an operator's shell might have it: the output must not change.
async fn palette_api(database_url: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let database_url = database_url.to_owned();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_palette-api"))
            .args(&args)
            .env("DATABASE_URL", &database_url)
            .env_remove("DATABASE_DIRECT_URL")
            .env("LOG_LEVEL", "debug")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting palette-api");
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes()).expect("writing stdin");
        }
        let output = child.wait_with_output().expect("palette-api ran");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("the run's thread")
}

async fn connection(app: &TestApp) -> AsyncPgConnection {
    AsyncPgConnection::establish(&app.database_url())
        .await
        .expect("a connection to the test database")
}

/// The status of `GET /api/users/me/` with Basic credentials.
async fn me(app: &TestApp, username: &str, password: &str) -> u16 {
    app.get("/api/users/me/")
        .v2()
        .basic(username, password)
        .send()
        .await
        .status
}

#[actix_web::test]
async fn a_user_created_on_the_command_line_logs_in_through_the_api_with_a_personal_team() {
    let app = spawn_app().await;
    let password = "an operator's secret 1";
    // Fullwidth letters: NFKC makes them `margaret`, as registration does.
    let run = palette_api(
        &app.database_url(),
        &["users", "create", "ｍａｒｇａｒｅｔ", "--password-stdin"],
        Some(&format!("{password}\nthe next line is not read\n")),
    )
    .await;
    run.assert_code(0);
    run.assert_hides(password);
    assert!(run.stdout.starts_with("created user margaret (id "), "{run:#?}");
    assert!(run.stderr.is_empty(), "{run:#?}");

    let account = app.get("/api/users/me/").v2().basic("margaret", password).send().await;
    assert_eq!(account.status, 200, "{}", account.text);
    assert_eq!(account.json["username"], "margaret");
    let personal = account.json["personal_team_id"].as_i64().expect("a personal team");
    assert!(
        run.stdout.contains(&format!("with personal team {personal}")),
        "{run:#?}"
    );
    let team = app
        .get(&format!("/api/teams/{personal}/"))
        .v2()
        .basic("margaret", password)
        .send()
        .await;
    assert_eq!(team.status, 200, "{}", team.text);
    assert_eq!(team.json["name"], "margaret");
    assert_eq!(team.json["personal"], true);
    assert_eq!(team.json["role"], "owner");
    // The line break ended the password; it is not part of it.
    assert_eq!(me(&app, "margaret", &format!("{password}\n")).await, 401);
}

#[actix_web::test]
async fn create_refuses_taken_and_look_alike_usernames_with_status_1() {
    let app = spawn_app().await;
    app.user("alice").await;
    let password = "another good password";
    // Another case, a Cyrillic `а`, fullwidth letters: all `alice` to the API.
    for username in ["ALICE", "\u{430}lice", "ａｌｉｃｅ"] {
        let run = palette_api(
            &app.database_url(),
            &["users", "create", username, "--password-stdin"],
            Some(&format!("{password}\n")),
        )
        .await;
        run.assert_refused("username already taken");
        run.assert_hides(password);
    }
    let mut conn = connection(&app).await;
    let count: i64 = users::table.count().get_result(&mut conn).await.expect("count");
    assert_eq!(count, 1);
}

#[actix_web::test]
async fn create_refuses_invalid_usernames_and_passwords_as_registration_does() {
    let app = spawn_app().await;
    let url = app.database_url();
    let long = "x".repeat(151);
    for (username, says) in [
        ("has space", "invalid username: Enter a valid username."),
        (
            long.as_str(),
            "invalid username: Ensure this field has no more than 150 characters.",
        ),
    ] {
        // The username is refused before a password is read.
        palette_api(&url, &["users", "create", username], None)
            .await
            .assert_refused(says);
    }
    let short = "Zq7-xy";
    let run = palette_api(
        &url,
        &["users", "create", "shorty", "--password-stdin"],
        Some(&format!("{short}\n")),
    )
    .await;
    run.assert_refused("invalid password: Ensure this field has at least 8 characters.");
    run.assert_hides(short);
    palette_api(&url, &["users", "create", "blank", "--password-stdin"], Some("\n"))
        .await
        .assert_refused("invalid password: This field may not be blank.");
    palette_api(&url, &["users", "create", "silent", "--password-stdin"], Some(""))
        .await
        .assert_refused("no password on standard input");
    // No terminal to ask on, and no --password-stdin.
    palette_api(&url, &["users", "create", "asked"], None)
        .await
        .assert_refused("--password-stdin");
    let mut conn = connection(&app).await;
    let count: i64 = users::table.count().get_result(&mut conn).await.expect("count");
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn set_password_changes_what_verifies_revokes_tokens_and_running_servers_forget_the_old_one() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let token = app
        .post("/api/tokens/")
        .v2()
        .auth(&bob)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.json["token"].as_str().expect("a secret").to_owned();
    // The server caches this login; only the change notice can drop it in time.
    assert_eq!(me(&app, "bob", &bob.password).await, 200);
    assert_eq!(app.get("/api/users/me/").bearer(&token).send().await.status, 200);

    let new_password = "a brand new password";
    let run = palette_api(
        &app.database_url(),
        &["users", "set-password", "BOB", "--password-stdin"],
        Some(&format!("{new_password}\r\n")),
    )
    .await;
    run.assert_code(0);
    run.assert_hides(new_password);
    run.assert_hides(&bob.password);
    assert_eq!(run.stdout, "changed the password of BOB; revoked 1 API token\n");

    let started = Instant::now();
    while me(&app, "bob", &bob.password).await != 401 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the running server still takes the old password"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(me(&app, "bob", new_password).await, 200);
    assert_eq!(app.get("/api/users/me/").bearer(&token).send().await.status, 401);
    let mut conn = connection(&app).await;
    let tokens: i64 = api_tokens::table
        .filter(api_tokens::user_id.eq(bob.id))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(tokens, 0);
}

#[actix_web::test]
async fn set_password_refuses_a_short_password_and_an_unknown_user() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let url = app.database_url();
    let run = palette_api(
        &url,
        &["users", "set-password", "bob", "--password-stdin"],
        Some("seven77\n"),
    )
    .await;
    run.assert_refused("invalid password: Ensure this field has at least 8 characters.");
    run.assert_hides("seven77");
    assert_eq!(me(&app, "bob", &bob.password).await, 200);
    palette_api(
        &url,
        &["users", "set-password", "nobody", "--password-stdin"],
        Some("long enough password\n"),
    )
    .await
    .assert_refused("no user named nobody");
}

#[actix_web::test]
async fn delete_removes_the_user_as_the_api_does() {
    let app = spawn_app().await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    app.create_palette(&carol, carol.personal_team_id, "Mine").await;
    let reds = app.create_team(&dave, "Reds").await;
    app.join(&dave, reds, &carol).await;
    let token = app
        .post("/api/tokens/")
        .v2()
        .auth(&carol)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    assert_eq!(token.status, 201, "{}", token.text);

    let run = palette_api(&app.database_url(), &["users", "delete", "Carol", "--yes"], None).await;
    run.assert_code(0);
    assert_eq!(run.stdout, format!("deleted user carol (id {})\n", carol.id));

    // A running server forgets the cached login when PostgreSQL's change
    // notice of the deletion reaches it, a moment after the command.
    let mut status = me(&app, "carol", &carol.password).await;
    let deleted = std::time::Instant::now();
    while status != 401 && deleted.elapsed() < std::time::Duration::from_secs(3) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        status = me(&app, "carol", &carol.password).await;
    }
    assert_eq!(status, 401);
    let mut conn = connection(&app).await;
    let count = |n: QueryResult<i64>| n.expect("count");
    assert_eq!(
        count(users::table.find(carol.id).count().get_result(&mut conn).await),
        0
    );
    assert_eq!(
        count(
            api_tokens::table
                .filter(api_tokens::user_id.eq(carol.id))
                .count()
                .get_result(&mut conn)
                .await
        ),
        0
    );
    // The personal team and its palettes went; the shared team stays, without carol.
    assert_eq!(
        count(
            teams::table
                .find(carol.personal_team_id)
                .count()
                .get_result(&mut conn)
                .await
        ),
        0
    );
    assert_eq!(
        count(
            palettes::table
                .filter(palettes::team_id.eq(carol.personal_team_id))
                .count()
                .get_result(&mut conn)
                .await
        ),
        0
    );
    let reds_members: Vec<i64> = team_members::table
        .filter(team_members::team_id.eq(reds))
        .select(team_members::user_id)
        .load(&mut conn)
        .await
        .expect("members");
    assert_eq!(reds_members, vec![dave.id]);
    // As the API's deletion does, it told Reds' members that carol left.
    let left = count(
        events::table
            .filter(events::team_id.eq(reds))
            .filter(events::kind.eq("member.left"))
            .count()
            .get_result(&mut conn)
            .await,
    );
    assert_eq!(left, 1);
}

#[actix_web::test]
async fn delete_is_refused_unconfirmed_for_a_last_owner_and_for_an_unknown_user() {
    let app = spawn_app().await;
    let dave = app.user("dave").await;
    let erin = app.user("erin").await;
    let reds = app.create_team(&dave, "Reds").await;
    app.join(&dave, reds, &erin).await;
    let url = app.database_url();
    // No terminal to confirm on, and no --yes.
    palette_api(&url, &["users", "delete", "erin"], None)
        .await
        .assert_refused("--yes");
    assert_eq!(me(&app, "erin", &erin.password).await, 200);
    // The API's rule: a team with other members keeps an owner.
    palette_api(&url, &["users", "delete", "dave", "--yes"], None)
        .await
        .assert_refused("dave is the last owner of team \"Reds\", which has other members");
    assert_eq!(me(&app, "dave", &dave.password).await, 200);
    palette_api(&url, &["users", "delete", "nobody", "--yes"], None)
        .await
        .assert_refused("no user named nobody");
}

#[actix_web::test]
async fn lists_show_users_and_teams_with_their_counts_as_tables_and_json() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let blues = app.create_team(&alice, "Blues").await;
    app.join(&alice, blues, &bob).await;
    app.create_palette(&alice, blues, "Sea").await;
    app.create_palette(&bob, blues, "Sky").await;
    let url = app.database_url();

    let run = palette_api(&url, &["users", "list"], None).await;
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{run:#?}");
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["ID", "USERNAME", "CREATED", "TEAMS"], "{run:#?}");
    assert_eq!(lines.len(), 3, "{run:#?}");
    assert_eq!(lines[1][0], alice.id.to_string());
    assert_eq!(lines[1][1], "alice");
    assert_eq!(lines[1][3], "2");
    assert_eq!(lines[2][1], "bob");

    let run = palette_api(&url, &["users", "list", "--json"], None).await;
    run.assert_code(0);
    let listed = run.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert_eq!(listed[0]["id"], alice.id);
    assert_eq!(listed[0]["username"], "alice");
    assert_eq!(listed[0]["teams"], 2);
    assert_eq!(listed[1]["username"], "bob");
    assert_eq!(listed[1]["teams"], 2);
    let created = listed[0]["created_at"].as_str().expect("a time");
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");

    let run = palette_api(&url, &["users", "list", "--search", "LIC", "--json"], None).await;
    run.assert_code(0);
    let found: Vec<String> = run
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|user| user["username"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(found, ["alice"]);

    let run = palette_api(&url, &["teams", "list", "--json"], None).await;
    run.assert_code(0);
    let listed = run.json();
    let team = |id: i64| {
        listed
            .as_array()
            .and_then(|teams| teams.iter().find(|team| team["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("team {id} in {listed}"))
    };
    let shared = team(blues);
    assert_eq!(shared["name"], "Blues");
    assert_eq!(shared["personal"], false);
    assert_eq!(shared["owners"], json!(["alice"]));
    assert_eq!(shared["members"], 2);
    assert_eq!(shared["palettes"], 2);
    let personal = team(alice.personal_team_id);
    assert_eq!(personal["name"], "alice");
    assert_eq!(personal["personal"], true);
    assert_eq!(personal["owners"], json!(["alice"]));
    assert_eq!(personal["members"], 1);
    assert_eq!(personal["palettes"], 0);
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");

    let run = palette_api(&url, &["teams", "list"], None).await;
    run.assert_code(0);
    let blues_line: Vec<&str> = run
        .stdout
        .lines()
        .find(|line| line.contains("Blues"))
        .unwrap_or_else(|| panic!("{run:#?}"))
        .split_whitespace()
        .collect();
    assert_eq!(
        blues_line[..6],
        [blues.to_string().as_str(), "Blues", "shared", "alice", "2", "2"]
    );
    assert!(run.stdout.starts_with("ID  NAME"), "{run:#?}");
}

#[actix_web::test]
async fn a_database_that_is_missing_or_not_migrated_is_refused_and_left_as_it_was() {
    let empty = create_empty_database().await;
    let run = palette_api(&empty.url, &["users", "list"], None).await;
    run.assert_refused("is not migrated");
    assert!(run.stderr.contains("run `palette-api migrate` first"), "{run:#?}");
    palette_api(
        &empty.url,
        &["users", "create", "eve", "--password-stdin"],
        Some("long enough password\n"),
    )
    .await
    .assert_refused("is not migrated");
    let mut conn = AsyncPgConnection::establish(&empty.url).await.expect("a connection");
    let tables: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')",
    ))
    .get_result(&mut conn)
    .await
    .expect("count");
    assert_eq!(tables, 0, "the command created tables");

    let missing = missing_database();
    palette_api(&missing.url, &["teams", "list"], None)
        .await
        .assert_refused("does not exist: create and migrate it with `palette-api migrate`");
    assert!(
        AsyncPgConnection::establish(&missing.url).await.is_err(),
        "the command created the database"
    );
    palette_api("postgres://postgres@127.0.0.1:1/palettes", &["teams", "list"], None)
        .await
        .assert_refused("cannot reach PostgreSQL");
}

#[actix_web::test]
async fn usage_errors_exit_2_and_a_password_is_never_an_argument() {
    let url = "postgres://postgres@127.0.0.1:1/palettes";
    for args in [
        &["users", "create"][..],
        &["users", "create", "eve", "hunter2hunter2"],
        &["users", "create", "eve", "--password", "hunter2hunter2"],
        &["users", "set-password", "eve", "hunter2hunter2"],
        &["users", "remove", "eve"],
        &["teams", "list", "--search", "x"],
    ] {
        let run = palette_api(url, args, None).await;
        assert_eq!(run.code, Some(2), "{args:?}: {run:#?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:#?}");
    }
}
