//! HTTP handlers of live events: the stream and its tickets.

use std::sync::Arc;

use accounts::{Auth, Authenticated, Credential, TeamDirectory};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use api_versioning::{respond, V1_MEDIA_TYPE, V2_MEDIA_TYPE};
use database::Pool;
use futures_util::stream::{self, Stream};
use kernel::ApiError;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::EventError;
use crate::hub::{frame, Dispatched, Hub, Subscription};
use crate::model::Audience;
use crate::service;
use crate::wire::{EventTicket, StreamEvent};

/// The media type of the stream.
pub const EVENT_STREAM: &str = "text/event-stream";

/// How long a client waits before reconnecting (the stream's `retry:`).
const RETRY_MILLIS: u64 = 3000;

/// Events read per query while replaying.
const REPLAY_PAGE: i64 = 500;

/// Query parameters of the stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this team's events (a team I am in; any other is a 404).
    #[param(value_type = Option<i64>)]
    team: Option<String>,
    /// Resume after this event id, as `Last-Event-ID` does, for clients that cannot set headers.
    #[param(value_type = Option<i64>)]
    last_event_id: Option<String>,
    /// A ticket from `POST /api/events/tickets/`, instead of `Authorization` (for `EventSource`).
    #[allow(dead_code)]
    ticket: Option<String>,
}

/// A ticket taken out of the request's query before anything logs the URL.
#[derive(Debug, Clone)]
struct Ticket(String);

/// Middleware: moves `ticket=` out of the query string into the request, so
/// that the access log and traces show the URL without the secret. Done for
/// every path (only the stream reads it), and for the key however it is
/// escaped (`%74icket=`), so that no spelling of the URL that reaches the
/// stream leaves a ticket in the log. Wrap it outside the request logger.
pub async fn hide_ticket(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(query) = req.uri().query() {
        let mut ticket = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if percent_decode(key) == "ticket" {
                    ticket = Some(value.to_owned());
                    false
                } else {
                    true
                }
            })
            .collect();
        if let Some(ticket) = ticket {
            let path_and_query = match kept.is_empty() {
                true => req.path().to_owned(),
                false => format!("{}?{}", req.path(), kept.join("&")),
            };
            if let Ok(uri) = path_and_query.parse::<actix_web::http::Uri>() {
                req.head_mut().uri = uri.clone();
                req.match_info_mut().get_mut().update(&uri);
            }
            let decoded = percent_decode(&ticket);
            req.extensions_mut().insert(Ticket(decoded));
        }
    }
    next.call(req).await
}

/// `%XX` escapes and `+` of a query value, decoded (tickets are URL-safe,
/// but a client may escape them anyway).
fn percent_decode(value: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        (byte as char).to_digit(16).and_then(|digit| u8::try_from(digit).ok())
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a client resumes: nowhere (a new stream), after an id, or from an
/// id that is no event id at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    Fresh,
    After(i64),
    Unknown,
}

fn resume_of(req: &HttpRequest, query: &StreamQuery) -> Result<Resume, EventError> {
    if let Some(value) = &query.last_event_id {
        return value
            .trim()
            .parse()
            .map(Resume::After)
            .map_err(|_| EventError::InvalidLastEventId);
    }
    Ok(match req.headers().get("Last-Event-ID").map(HeaderValue::to_str) {
        None => Resume::Fresh,
        Some(Ok(value)) if value.trim().is_empty() => Resume::Fresh,
        Some(Ok(value)) => value.trim().parse().map_or(Resume::Unknown, Resume::After),
        Some(Err(_)) => Resume::Unknown,
    })
}

/// Live events as Server-Sent Events.
///
/// The stream opens with `retry: 3000`, replays what came after
/// `Last-Event-ID` (or `?last_event_id=`) that I may see, then sends `ready`
/// (its `id` is the current position) and every new event as it commits, in
/// commit order, with `: keep-alive` every 15 s. An id that is too old (past
/// the retention) or was never issued gets `reset` instead of the replay:
/// reload what you show, then read on. Each event's `data` is one line of
/// JSON; the schemas `*EventData` describe each type's. Authenticate with
/// `Authorization` or, from a browser's `EventSource`, with `?ticket=`. At
/// most 8 streams per user; a client that reads too slowly is disconnected
/// and resumes with `Last-Event-ID`.
#[utoipa::path(
    tag = "events",
    security(("basic" = []), ("bearer" = []), ()),
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id; anything that is not an id issued and retained gets `reset`"),
    ),
    responses(
        (status = 200, description = "The stream: `ready`, `reset`, `palette.created`, `palette.updated`, \
            `palette.deleted`, `team.updated`, `team.deleted`, `member.joined`, `member.updated`, \
            `member.left`, `invitation.created`, `invitation.revoked`",
            headers(
                ("Cache-Control" = String, description = "`no-cache`"),
                ("X-Accel-Buffering" = String, description = "`no`: proxies must not buffer the stream"),
            ),
            content((StreamEvent = "text/event-stream"))),
        (status = 400, description = "`team` or `last_event_id` is not a whole number"),
        (status = 404, description = "`team` names a team I am not in"),
        (status = 429, description = "Too many failed logins, or 8 of my streams are open already",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, description = "The database is unavailable, or this server holds as many streams as it allows",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
#[get("/events")]
async fn stream_events(
    req: HttpRequest,
    query: web::Query<StreamQuery>,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    directory: web::Data<dyn TeamDirectory>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    let ticket = req.extensions().get::<Ticket>().cloned();
    let (user_id, credential) = match ticket {
        Some(Ticket(secret)) => {
            let mut conn = pool.get().await?;
            service::redeem_ticket(&mut conn, &secret).await?
        }
        None => {
            let Authenticated { user, credential } = auth.authenticate_credential(&req, &pool).await?;
            (user.id, credential)
        }
    };
    let only_team = match &query.team {
        None => None,
        Some(team) => Some(
            team.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field("team", "Must be a team id (a whole number)."))?,
        ),
    };
    let resume = resume_of(&req, &query)?;
    let (mut subscription, pruned_through) = subscribe(
        &pool,
        directory.get_ref(),
        hub.into_inner(),
        (user_id, only_team),
        credential,
    )
    .await?;
    let until = subscription.replay_until;
    let replay_from = match resume {
        Resume::Fresh => None,
        Resume::After(id) if id >= pruned_through && id <= until => Some(id),
        Resume::After(_) | Resume::Unknown => None,
    };
    {
        let mut conn = pool.get().await?;
        // Checked once the stream is registered, so that a revocation between
        // the authentication and the registration is not missed.
        let holds = accounts::service::credential_expiry(&mut conn, user_id, &credential).await?;
        let expires_at = holds.ok_or(EventError::InvalidTicket)?;
        subscription.expires_at = expires_at.map(|at| {
            let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
            tokio::time::Instant::now() + left
        });
        if let Some(from) = replay_from {
            // The replay starts from the user's teams as of `from`, not as of now.
            for event in service::membership_changes(&mut conn, from, until).await? {
                Dispatched::new(event).undo(&mut subscription.audience);
            }
        }
    }
    if replay_from.is_none() && resume != Resume::Fresh {
        let reset = frame(until, "reset", &format!(r#"{{"last_event_id":{until}}}"#));
        return Ok(respond_stream(opening(Some(reset)), None, subscription, pool));
    }
    Ok(respond_stream(opening(None), replay_from, subscription, pool))
}

/// Registers a stream with the hub at a position read in one snapshot with
/// the user's teams; tries again when the hub moved on meanwhile further
/// than it remembers.
async fn subscribe(
    pool: &Pool,
    directory: &dyn TeamDirectory,
    hub: Arc<Hub>,
    (user_id, only_team): (i64, Option<i64>),
    credential: Credential,
) -> Result<(Subscription, i64), EventError> {
    let mut attempts = 0;
    loop {
        let start = {
            let mut conn = pool.get().await?;
            service::start(&mut conn, directory, user_id).await?
        };
        if only_team.is_some_and(|team| !start.team_ids.contains(&team)) {
            return Err(EventError::NotFound);
        }
        let audience = Audience {
            user_id,
            teams: start.team_ids.iter().copied().collect(),
            only_team,
        };
        match hub.subscribe(audience, credential, start.position) {
            Err(EventError::Behind) if attempts < 3 => attempts += 1,
            result => return result.map(|subscription| (subscription, start.pruned_through)),
        }
    }
}

/// `retry:`, and a `reset` when the client cannot resume.
fn opening(reset: Option<Bytes>) -> Bytes {
    let retry = format!("retry: {RETRY_MILLIS}\n\n");
    match reset {
        Some(reset) => [retry.as_bytes(), &reset].concat().into(),
        None => retry.into(),
    }
}

/// What the stream body sends next.
enum Phase {
    Opening(Bytes),
    Replay(i64),
    Ready,
    Live,
    Done,
}

struct Body {
    phase: Phase,
    subscription: Subscription,
    pool: web::Data<Pool>,
}

fn respond_stream(
    opening: Bytes,
    replay_from: Option<i64>,
    subscription: Subscription,
    pool: web::Data<Pool>,
) -> HttpResponse {
    let body = Body {
        phase: Phase::Opening(opening),
        subscription,
        pool,
    };
    let after_opening = match replay_from {
        Some(id) => Phase::Replay(id),
        None => Phase::Ready,
    };
    let stream = frames(body, after_opening);
    HttpResponse::Ok()
        .content_type(EVENT_STREAM)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Never compressed: a compressor holds small frames back until it has more.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(stream)
}

fn frames(body: Body, after_opening: Phase) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    stream::unfold((body, Some(after_opening)), |(mut body, mut next)| async move {
        loop {
            if body.subscription.is_closed() {
                // Ended by the hub: cut off, credential gone, or shutdown.
                return None;
            }
            match std::mem::replace(&mut body.phase, Phase::Done) {
                Phase::Opening(bytes) => {
                    body.phase = next.take().unwrap_or(Phase::Ready);
                    return Some((Ok(bytes), (body, next)));
                }
                Phase::Replay(after) => match replay_page(&mut body, after).await {
                    Ok((bytes, last, more)) => {
                        body.phase = if more { Phase::Replay(last) } else { Phase::Ready };
                        if !bytes.is_empty() {
                            return Some((Ok(bytes), (body, next)));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "replaying events failed; ending the stream");
                        return None;
                    }
                },
                Phase::Ready => {
                    let until = body.subscription.replay_until;
                    body.phase = Phase::Live;
                    let ready = frame(until, "ready", &format!(r#"{{"last_event_id":{until}}}"#));
                    return Some((Ok(ready), (body, next)));
                }
                Phase::Live => {
                    let subscription = &mut body.subscription;
                    let bytes = match subscription.expires_at {
                        Some(expiry) => tokio::select! {
                            bytes = subscription.receiver.recv() => bytes,
                            () = tokio::time::sleep_until(expiry) => None,
                        },
                        None => subscription.receiver.recv().await,
                    }?;
                    if subscription.is_closed() {
                        return None;
                    }
                    body.phase = Phase::Live;
                    return Some((Ok(bytes), (body, next)));
                }
                Phase::Done => return None,
            }
        }
    })
}

/// The frames of the next replayed page after `after`, the last id read,
/// and whether there may be more.
async fn replay_page(body: &mut Body, after: i64) -> Result<(Bytes, i64, bool), EventError> {
    let until = body.subscription.replay_until;
    let mut conn = body.pool.get().await?;
    let audience = &mut body.subscription.audience;
    let rows = service::events_after(&mut conn, after, Some((audience, until)), REPLAY_PAGE).await?;
    let more = rows.len() as i64 == REPLAY_PAGE;
    let last = rows.last().map_or(after, |row| row.id);
    let mut bytes = Vec::new();
    for row in rows {
        let event = Dispatched::new(row);
        if event.deliver_to(audience) {
            bytes.extend_from_slice(&event.frame_for(audience.user_id));
        }
    }
    Ok((bytes.into(), last, more))
}

/// A ticket for opening one stream from a browser.
///
/// `EventSource` cannot send `Authorization`: ask for a ticket with your
/// credentials, then open `GET /api/events/?ticket=...` within 60 s. A
/// ticket works once, and only while the credential that asked for it holds.
#[utoipa::path(
    tag = "events",
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "The ticket (the same shape in both versions)",
            content(
                (EventTicket = V1_MEDIA_TYPE),
                (EventTicket = V2_MEDIA_TYPE),
            )),
    )
)]
#[post("/events/tickets")]
async fn create_ticket(user: Authenticated, pool: web::Data<Pool>) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let (ticket, expires_at) = service::create_ticket(&mut conn, user.user.id, &user.credential)
        .await
        .map_err(EventError::from)?;
    let mut response = respond::json(StatusCode::CREATED, &EventTicket { ticket, expires_at });
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Registers the handlers.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config.service(stream_events).service(create_ticket);
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use actix_web::App;

    use super::*;

    /// What a handler behind the middleware sees: the URL, and the ticket.
    async fn echo(req: HttpRequest) -> HttpResponse {
        let ticket = req
            .extensions()
            .get::<Ticket>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        HttpResponse::Ok().body(format!("{} {ticket}", req.uri()))
    }

    #[actix_web::test]
    async fn the_ticket_leaves_the_url_before_anything_logs_it() {
        let app = init_service(App::new().default_service(web::to(echo)).wrap(from_fn(hide_ticket))).await;
        for (uri, seen) in [
            ("/api/events/?ticket=evt_s3cr%2Dt", "/api/events/ evt_s3cr-t"),
            (
                "/api/events?team=4&ticket=evt_x&last_event_id=9",
                "/api/events?team=4&last_event_id=9 evt_x",
            ),
            // However the key is escaped, and whatever the path (`//api/events`
            // or an alias may still reach the stream), it never stays in the URL.
            ("/api/events/?%74icket=evt_y", "/api/events/ evt_y"),
            ("//api/events?ticket=evt_z", "//api/events evt_z"),
            ("/api/palettes/?ticket=evt_x&team=1", "/api/palettes/?team=1 evt_x"),
        ] {
            let response = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
            let body = read_body(response).await;
            assert_eq!(String::from_utf8_lossy(&body), seen, "{uri}");
        }
    }

    #[test]
    fn escaped_tickets_are_decoded() {
        assert_eq!(percent_decode("evt_a%2Db+c"), "evt_a-b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%"), "%zz%");
        assert_eq!(percent_decode("%é"), "%é");
    }
}
