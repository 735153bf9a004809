//! The operators' command line, for when the API is not the way in:
//! `palette-api users list|create|set-password|delete` and `palette-api teams list`.
//!
//! Each command calls the service functions the API's handlers call, so the
//! same rules hold and the same things happen: `users create` registers as
//! `POST /api/users/` does (NFKC, the username rules, uniqueness ignoring case
//! and look-alikes, the password rules, the personal team), `set-password`
//! revokes the user's tokens as a password change does, and `delete` goes as
//! `DELETE /api/users/me/` goes (refused for the last owner of a team with
//! other members; tokens, memberships and the personal team with its
//! palettes go with it). Running instances hear of each change from the
//! database's change notices, as they hear of another instance's, and drop
//! the logins, tokens and teams they cached.
//!
//! - Passwords are never arguments (shell history, `ps`): the first line of
//!   standard input with `--password-stdin`, else asked twice on the
//!   terminal without echo. They are never printed or logged.
//! - Results go to stdout (a table, or JSON with `--json`); a refusal or a
//!   failure is one line on stderr and exit status 1; usage errors are
//!   clap's, status 2. Logs go to stderr, warnings and errors only.
//! - The commands use `DATABASE_URL` and never migrate: a database that is
//!   missing or not migrated is an error that says to run `palette-api migrate`.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use accounts::wire::RegisterRequest;
use accounts::{AccountError, Auth, AuthSettings};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use database::diagnose::{self, Problem};
use database::Pool;
use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::deadpool::PoolError;
use kernel::{Field, FieldErrors, IfMatch};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::config::Settings;

/// `palette-api users ...`: accounts, for operators.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum UsersCommand {
    /// List users: id, username, when they registered, how many teams they are in.
    List {
        /// Only users whose username contains this text, ignoring case.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Register a user and their personal team, as `POST /api/users/` does.
    Create {
        /// Normalised (NFKC) and checked as a registration is.
        username: String,
        #[command(flatten)]
        password: PasswordInput,
    },
    /// Set a user's password; every API token of theirs is revoked, as on a password change.
    SetPassword {
        /// Whose password, ignoring case.
        username: String,
        #[command(flatten)]
        password: PasswordInput,
    },
    /// Delete a user as `DELETE /api/users/me/` does: their tokens,
    /// memberships and personal team with its palettes go too.
    Delete {
        /// Who, ignoring case.
        username: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// `palette-api teams ...`: teams, for operators.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TeamsCommand {
    /// List teams: id, name, personal or shared, owners, members, palettes.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Where a command reads a password from.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PasswordInput {
    /// Read the password from standard input (its first line, without the
    /// line break) instead of asking for it on the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Why a command did not do what it was asked, in one line for the operator.
#[derive(Debug)]
struct Refusal(String);

type Outcome = Result<(), Refusal>;

fn refuse(message: impl Into<String>) -> Refusal {
    Refusal(message.into())
}

impl From<DieselError> for Refusal {
    fn from(error: DieselError) -> Self {
        refuse(format!("database error: {error}"))
    }
}

impl From<PoolError> for Refusal {
    fn from(error: PoolError) -> Self {
        refuse(format!("no database connection: {error}"))
    }
}

/// Runs `palette-api users ...`; exit status 1 when refused or failed.
pub async fn users(command: UsersCommand, settings: &Settings) -> ExitCode {
    log_to_stderr();
    finish(match command {
        UsersCommand::List { search, json } => list_users(settings, search.as_deref(), json).await,
        UsersCommand::Create { username, password } => create_user(settings, &username, &password).await,
        UsersCommand::SetPassword { username, password } => set_password(settings, &username, &password).await,
        UsersCommand::Delete { username, yes } => delete_user(settings, &username, yes).await,
    })
}

/// Runs `palette-api teams ...`; exit status 1 when it failed.
pub async fn teams(command: TeamsCommand, settings: &Settings) -> ExitCode {
    log_to_stderr();
    finish(match command {
        TeamsCommand::List { json } => list_teams(settings, json).await,
    })
}

/// Warnings and errors on stderr, so that stdout holds the command's output
/// only; the server's `LOG_LEVEL` and `LOG_FORMAT` are for `serve`.
fn log_to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .try_init();
}

fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refusal(message)) => {
            eprintln!("palette-api: {}", printable(&message.replace(['\r', '\n'], " ")));
            ExitCode::from(1)
        }
    }
}

// ---------------------------------------------------------------------------
// The commands.

async fn list_users(settings: &Settings, search: Option<&str>, as_json: bool) -> Outcome {
    let pool = open(settings).await?;
    let mut conn = pool.get().await?;
    let users = accounts::service::list_users(&mut conn, search).await?;
    let ids: Vec<i64> = users.iter().map(|user| user.id).collect();
    let team_counts: HashMap<i64, i64> = teams::service::team_counts(&mut conn, &ids)
        .await?
        .into_iter()
        .collect();
    let teams_of = |id: i64| team_counts.get(&id).copied().unwrap_or(0);
    if as_json {
        let rows: Vec<Value> = users
            .iter()
            .map(|user| {
                json!({
                    "id": user.id,
                    "username": user.username,
                    "created_at": timestamp(&user.created_at),
                    "teams": teams_of(user.id),
                })
            })
            .collect();
        return print_json(&Value::Array(rows));
    }
    let rows = users
        .iter()
        .map(|user| {
            vec![
                user.id.to_string(),
                user.username.clone(),
                timestamp(&user.created_at),
                teams_of(user.id).to_string(),
            ]
        })
        .collect();
    print(&table(&["ID", "USERNAME", "CREATED", "TEAMS"], rows))
}

async fn create_user(settings: &Settings, username: &str, input: &PasswordInput) -> Outcome {
    // The username's own problems first, before asking for a password.
    let mut request = RegisterRequest {
        username: Field::from(Value::String(username.to_owned())),
        ..RegisterRequest::default()
    };
    if let Err(errors) = request.validate() {
        let username_errors = errors.to_nested().get("username").is_some();
        if username_errors {
            return Err(invalid(&errors, &["username"]));
        }
    }
    let pool = open(settings).await?;
    request.password = Field::from(Value::String(read_password(input, username)?));
    let registration = request
        .validate()
        .map_err(|errors| invalid(&errors, &["username", "password"]))?;
    let auth = operator_auth();
    let directory = directory();
    let (user, teams) = accounts::service::register(&pool, &auth, &directory, registration)
        .await
        .map_err(|error| account_refusal(error, username))?;
    let personal = teams
        .personal_team_id
        .map_or_else(String::new, |id| format!(" with personal team {id}"));
    print(&format!(
        "created user {} (id {}){personal}\n",
        printable(&user.username),
        user.id
    ))
}

async fn set_password(settings: &Settings, username: &str, input: &PasswordInput) -> Outcome {
    let pool = open(settings).await?;
    let user_id = find_user(&pool, username).await?;
    let password = read_password(input, username)?;
    let mut errors = FieldErrors::new();
    let (shortest, longest) = accounts::model::PASSWORD_BYTES;
    let password = Field::from(Value::String(password))
        .password("password", shortest, longest, &mut errors)
        .ok_or_else(|| invalid(&errors, &["password"]))?;
    let auth = operator_auth();
    let revoked = accounts::service::set_password(&pool, &auth, user_id, password)
        .await
        .map_err(|error| account_refusal(error, username))?;
    let tokens = match revoked {
        1 => "1 API token".to_owned(),
        n => format!("{n} API tokens"),
    };
    print(&format!(
        "changed the password of {}; revoked {tokens}\n",
        printable(username)
    ))
}

async fn delete_user(settings: &Settings, username: &str, yes: bool) -> Outcome {
    let pool = open(settings).await?;
    let user_id = find_user(&pool, username).await?;
    let directory = directory();
    let (user, teams) = {
        let mut conn = pool.get().await?;
        accounts::service::account(&mut conn, &directory, user_id).await?
    };
    let name = printable(&user.username);
    if !yes {
        let others = teams
            .team_ids
            .len()
            .saturating_sub(usize::from(teams.personal_team_id.is_some()));
        let leaving = match others {
            0 => String::new(),
            1 => ", and take them out of 1 other team".to_owned(),
            n => format!(", and take them out of {n} other teams"),
        };
        let question = format!(
            "Delete user {name} (id {}), their API tokens and their personal team with its palettes{leaving}? [y/N] ",
            user.id
        );
        if !confirmed(&question)? {
            return Err(refuse(format!("{name} was not deleted")));
        }
    }
    let auth = operator_auth();
    let mut conn = pool.get().await?;
    accounts::service::delete_account(&mut conn, &auth, &directory, user_id, &IfMatch::any())
        .await
        .map_err(|error| account_refusal(error, &user.username))?;
    print(&format!("deleted user {name} (id {})\n", user.id))
}

async fn list_teams(settings: &Settings, as_json: bool) -> Outcome {
    let pool = open(settings).await?;
    let mut conn = pool.get().await?;
    let summaries = teams::service::team_summaries(&mut conn).await?;
    let ids: Vec<i64> = summaries.iter().map(|summary| summary.team.id).collect();
    let palette_counts: HashMap<i64, i64> = palettes::service::palette_counts(&mut conn, &ids)
        .await?
        .into_iter()
        .collect();
    let palettes_of = |id: i64| palette_counts.get(&id).copied().unwrap_or(0);
    if as_json {
        let rows: Vec<Value> = summaries
            .iter()
            .map(|summary| {
                json!({
                    "id": summary.team.id,
                    "name": summary.team.name,
                    "personal": summary.team.personal,
                    "owners": summary.owners,
                    "members": summary.members,
                    "palettes": palettes_of(summary.team.id),
                    "created_at": timestamp(&summary.team.created_at),
                })
            })
            .collect();
        return print_json(&Value::Array(rows));
    }
    let rows = summaries
        .iter()
        .map(|summary| {
            vec![
                summary.team.id.to_string(),
                summary.team.name.clone(),
                if summary.team.personal { "personal" } else { "shared" }.to_owned(),
                summary.owners.join(","),
                summary.members.to_string(),
                palettes_of(summary.team.id).to_string(),
                timestamp(&summary.team.created_at),
            ]
        })
        .collect();
    print(&table(
        &["ID", "NAME", "KIND", "OWNERS", "MEMBERS", "PALETTES", "CREATED"],
        rows,
    ))
}

// ---------------------------------------------------------------------------
// The database.

/// A small pool on `DATABASE_URL`, once the database answers and has every
/// migration of this binary: a missing or unmigrated database is an error,
/// never migrated here.
async fn open(settings: &Settings) -> Result<Pool, Refusal> {
    let url = settings.database_url.expose_secret();
    let target = diagnose::describe(url);
    match diagnose::probe(url, settings.db_connect_timeout).await {
        None => {}
        Some(Problem::DatabaseMissing) => {
            return Err(refuse(format!(
                "the database of {target} does not exist: create and migrate it with `palette-api migrate`"
            )))
        }
        Some(problem) => return Err(refuse(problem.explain(&target))),
    }
    let pool = database::pool::build_pool(
        url,
        &database::PoolSettings {
            max_size: 2,
            application_name: "palette-api cli".to_owned(),
            ..settings.pool_settings()
        },
    )
    .map_err(|error| refuse(format!("{error:#}")))?;
    let pending = database::migrate::pending(&mut *pool.get().await?)
        .await
        .map_err(|error| refuse(format!("{error:#}")))?;
    if let [first, ..] = pending.as_slice() {
        return Err(refuse(format!(
            "the database of {target} is not migrated ({} migration(s) pending, from {first}): \
             run `palette-api migrate` first",
            pending.len()
        )));
    }
    Ok(pool)
}

/// The id of the user named `username` (ignoring case, after NFKC).
async fn find_user(pool: &Pool, username: &str) -> Result<i64, Refusal> {
    let mut conn = pool.get().await?;
    accounts::service::user_id_named(&mut conn, username)
        .await?
        .ok_or_else(|| no_such_user(username))
}

fn no_such_user(username: &str) -> Refusal {
    refuse(format!("no user named {}", printable(username)))
}

/// Authentication state for one command: a single hashing thread and no
/// caches (each running instance drops its own on the change notice).
fn operator_auth() -> Auth {
    Auth::new(AuthSettings {
        cache_ttl: std::time::Duration::ZERO,
        token_cache_ttl: std::time::Duration::ZERO,
        hash_concurrency: 1,
        ..AuthSettings::default()
    })
}

/// The teams side of accounts, as the server wires it, without a cache.
fn directory() -> teams::Directory {
    teams::Directory::new(Arc::new(teams::TeamCache::new(0)))
}

/// An accounts refusal, said for the operator.
fn account_refusal(error: AccountError, username: &str) -> Refusal {
    let name = printable(username);
    match error {
        AccountError::UsernameTaken => refuse(format!(
            "username already taken: {name} is another user's name, ignoring case, or looks like it"
        )),
        AccountError::LastOwnerOf(team) => refuse(format!(
            "{name} is the last owner of team {}, which has other members: make another member an owner first",
            printable(&format!("{team:?}"))
        )),
        AccountError::Database(DieselError::NotFound) => no_such_user(username),
        AccountError::Unavailable(error) => Refusal::from(error),
        AccountError::Database(error) => Refusal::from(error),
        other => refuse(other.to_string()),
    }
}

// ---------------------------------------------------------------------------
// The terminal.

/// The password: the first line of standard input with `--password-stdin`;
/// else, or when standard input is the terminal (which would echo it),
/// asked twice on the terminal without echo.
fn read_password(input: &PasswordInput, username: &str) -> Result<String, Refusal> {
    let terminal = std::io::stdin().is_terminal();
    if input.password_stdin && !terminal {
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| refuse(format!("reading the password from standard input: {error}")))?;
        if read == 0 {
            return Err(refuse("no password on standard input"));
        }
        let line = line.strip_suffix('\n').unwrap_or(&line);
        return Ok(line.strip_suffix('\r').unwrap_or(line).to_owned());
    }
    if !terminal {
        return Err(refuse(
            "no terminal to ask for the password: give it on standard input with --password-stdin",
        ));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|error| refuse(format!("reading the password: {error}")))
    };
    let password = ask(&format!("Password for {}: ", printable(username)))?;
    if ask("Again: ")? != password {
        return Err(refuse("the two passwords differ; nothing was changed"));
    }
    Ok(password)
}

/// Asks `question` on the terminal; whether the answer is yes. Refused
/// without a terminal: nothing is deleted unasked.
fn confirmed(question: &str) -> Result<bool, Refusal> {
    if !std::io::stdin().is_terminal() {
        return Err(refuse(
            "no terminal to ask for confirmation: pass --yes to delete without asking",
        ));
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| refuse(format!("reading the answer: {error}")))?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// Validation messages of `fields`, in that order, on one line.
fn invalid(errors: &FieldErrors, fields: &[&str]) -> Refusal {
    let nested = errors.to_nested();
    let said: Vec<String> = fields
        .iter()
        .filter_map(|field| {
            let messages: Vec<&str> = nested
                .get(field)?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            Some(format!("invalid {field}: {}", messages.join(" ")))
        })
        .collect();
    refuse(said.join("; "))
}

/// `text` with control and bidirectional formatting characters escaped, so
/// that a name cannot move the cursor or reorder what the terminal shows.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            let steering = c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if steering {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// RFC 3339 in UTC, to the second.
fn timestamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Rows under a header, each column as wide as its widest cell, every cell
/// made [`printable`].
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = std::iter::once(header.iter().map(|cell| (*cell).to_owned()).collect())
        .chain(
            rows.into_iter()
                .map(|row| row.iter().map(|cell| printable(cell)).collect()),
        )
        .collect();
    let mut widths = vec![0; header.len()];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn print_json(value: &Value) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(|error| refuse(error.to_string()))?;
    print(&format!("{text}\n"))
}

/// Writes `text` to stdout; a reader that went away (`| head`) is no failure.
fn print(text: &str) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(refuse(format!("writing the output: {error}")))
        }
        _ => Ok(()),
    }
}
