//! Request lines too long for the HTTP layer, answered like any other URL
//! that is too long.
//!
//! actix-http keeps a request's target in an `http::Uri`, which cannot hold
//! 64 KiB: a longer request line is refused with a bodyless 400 before any
//! service of ours sees it. This reader sits between the connection and
//! actix-http and follows HTTP/1.1's framing (request line, header lines,
//! `Content-Length` bodies). A request line whose target is longer than
//! [`HELD_TARGET_BYTES`] reaches actix-http with the target cut to that
//! length and a [`TARGET_LENGTH_HEADER`] saying how long it was, so the
//! versioning middleware answers 414 in the negotiated version's format.
//! Only the bytes of one request line are ever held: the start of its
//! target, [`HELD_TARGET_BYTES`] and a few more, and at most one read.
//!
//! What it cannot follow (a chunked request body, an upgrade or `CONNECT`,
//! whose body actix-http reads to the connection's end, a malformed head) it
//! stops reading and passes on untouched for the rest of the connection,
//! leaving the requests that follow to actix-http as before. HTTP/2 is
//! passed on untouched too: it has no request line, and its header list is
//! bounded by HTTP/2's own limits.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use api_versioning::TARGET_LENGTH_HEADER;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::idle::Opened;

/// Target bytes kept of a request line: beyond the longest URL the
/// versioning middleware reads, so it refuses the cut one too.
pub const HELD_TARGET_BYTES: usize = 2 * api_versioning::MAX_URL_BYTES;

/// How much of a header line is looked at: a name and a short value.
const HEADER_PREFIX_BYTES: usize = 64;

/// The longest method kept (the longest registered method is 17 bytes).
const METHOD_BYTES: usize = 32;

/// Where in a request the next byte read is.
#[derive(Debug)]
enum State {
    /// At a request line, held until it ends.
    Line(Vec<u8>),
    /// In a request line whose target is too long: its method and the
    /// target's start are kept, the rest dropped up to the line's end
    /// (`tail` holds the last bytes seen, for the HTTP version).
    Overlong {
        method: Vec<u8>,
        target: Vec<u8>,
        length: usize,
        tail: Vec<u8>,
    },
    /// In the header lines, passed on as read.
    Head(Head),
    /// In a body of this many bytes still to come.
    Body(u64),
    /// Framing no longer followed: everything passes untouched.
    Through,
}

/// What the header lines read so far say about the body.
#[derive(Debug, Default)]
struct Head {
    /// The start of the current header line.
    line: Vec<u8>,
    /// The current header line's length.
    line_length: usize,
    content_length: Option<u64>,
    /// A body this reader cannot follow (chunked, or a length it cannot read).
    unfollowable: bool,
}

/// A connection's byte stream, with over-long request targets cut. Since it
/// knows where requests begin, it also says when the connection is idle
/// between requests, so that it can be closed when connections run short
/// (see [`crate::idle`]).
#[derive(Debug)]
pub struct LongTargets<S> {
    inner: S,
    state: State,
    /// Bytes ready for actix-http, from `pending[taken..]`.
    pending: Vec<u8>,
    taken: usize,
    connection: Option<Opened>,
}

impl<S> LongTargets<S> {
    /// Follows `inner` from the start of a request; `connection`, when
    /// given, hears when it is idle.
    pub fn new(inner: S, connection: Option<Opened>) -> Self {
        Self {
            inner,
            state: State::Line(Vec::new()),
            pending: Vec::new(),
            taken: 0,
            connection,
        }
    }

    /// Passes `inner` on untouched (HTTP/2, whose frames this does not
    /// read; its connection is counted, never closed for being idle).
    pub fn through(inner: S, connection: Option<Opened>) -> Self {
        Self {
            state: State::Through,
            ..Self::new(inner, connection)
        }
    }

    /// The part the requests on this connection hold while answered.
    pub fn activity(&self) -> Option<crate::idle::Activity> {
        self.connection.as_ref().map(Opened::activity)
    }

    /// Whether the reader is between requests with nothing of the next read.
    fn at_boundary(&self) -> bool {
        matches!(&self.state, State::Line(held) if held.is_empty())
    }

    /// Reads `input` into `pending`, following the framing.
    fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            input = match &mut self.state {
                State::Line(held) => {
                    let end = input.iter().position(|&b| b == b'\n');
                    let (line, rest) = input.split_at(end.map_or(input.len(), |at| at + 1));
                    held.extend_from_slice(line);
                    if end.is_some() {
                        let held = std::mem::take(held);
                        self.end_of_line(&held);
                    } else if held.len() > HELD_TARGET_BYTES + METHOD_BYTES {
                        let held = std::mem::take(held);
                        self.state = overlong(&held, &mut self.pending);
                    }
                    rest
                }
                State::Overlong { length, tail, .. } => {
                    let end = input.iter().position(|&b| b == b'\n');
                    let (dropped, rest) = input.split_at(end.map_or(input.len(), |at| at + 1));
                    *length += dropped.len();
                    tail.extend_from_slice(dropped);
                    let keep = tail.len().saturating_sub(METHOD_BYTES);
                    tail.drain(..keep);
                    if end.is_some() {
                        self.end_of_overlong_line();
                    }
                    rest
                }
                State::Head(head) => {
                    let end = input.iter().position(|&b| b == b'\n');
                    let (part, rest) = input.split_at(end.map_or(input.len(), |at| at + 1));
                    self.pending.extend_from_slice(part);
                    let room = HEADER_PREFIX_BYTES.saturating_sub(head.line.len());
                    head.line.extend_from_slice(&part[..part.len().min(room)]);
                    head.line_length += part.len();
                    if end.is_some() {
                        self.state = end_of_header_line(std::mem::take(head));
                    }
                    rest
                }
                State::Body(left) => {
                    let n = usize::try_from(*left).unwrap_or(usize::MAX).min(input.len());
                    self.pending.extend_from_slice(&input[..n]);
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::Line(Vec::new());
                    }
                    &input[n..]
                }
                State::Through => {
                    self.pending.extend_from_slice(input);
                    &[]
                }
            };
        }
    }

    /// A whole request line (or a blank line before one) was held.
    fn end_of_line(&mut self, line: &[u8]) {
        let blank = line.iter().all(|b| matches!(b, b'\r' | b'\n'));
        if blank {
            self.pending.extend_from_slice(line);
            self.state = State::Line(Vec::new());
            return;
        }
        let parts = request_line(line);
        match parts {
            Some((method, target, version)) if target.len() > HELD_TARGET_BYTES => {
                write_cut_line(
                    &mut self.pending,
                    method,
                    &target[..HELD_TARGET_BYTES],
                    target.len(),
                    version,
                );
            }
            _ => self.pending.extend_from_slice(line),
        }
        self.state = match parts {
            // CONNECT's body is the rest of the connection, as actix-http reads it.
            Some((method, _, _)) if !method.eq_ignore_ascii_case(b"CONNECT") => State::Head(Head::default()),
            _ => State::Through,
        };
    }

    /// The end of an over-long request line came.
    fn end_of_overlong_line(&mut self) {
        let State::Overlong {
            method,
            target,
            length,
            tail,
        } = std::mem::replace(&mut self.state, State::Through)
        else {
            return;
        };
        let line = trim_line_end(&tail);
        let line_end = tail.len() - line.len();
        match line.iter().rposition(|&b| b == b' ') {
            Some(space) => {
                // `length` counted everything after the method's space.
                let target_length = length - line_end - (line.len() - space);
                write_cut_line(&mut self.pending, &method, &target, target_length, &line[space + 1..]);
                self.state = State::Head(Head::default());
            }
            // No version: not a request line; actix-http refuses it.
            None => {
                self.pending.extend_from_slice(&method);
                self.pending.push(b' ');
                self.pending.extend_from_slice(&target);
                self.pending.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// A request line held past its limit: a target too long. Its method and
/// the target's start are kept; a line that does not start with a method
/// and a space is passed on as it is, and no longer followed.
fn overlong(held: &[u8], pending: &mut Vec<u8>) -> State {
    let space = held.iter().take(METHOD_BYTES + 1).position(|&b| b == b' ');
    let Some(space) = space else {
        pending.extend_from_slice(held);
        return State::Through;
    };
    let target = &held[space + 1..];
    State::Overlong {
        method: held[..space].to_vec(),
        target: target[..target.len().min(HELD_TARGET_BYTES)].to_vec(),
        length: target.len(),
        tail: target[target.len().saturating_sub(METHOD_BYTES)..].to_vec(),
    }
}

/// A request line's method, target and version (without the line's end).
fn request_line(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let line = trim_line_end(line);
    let first = line.iter().position(|&b| b == b' ')?;
    let last = line.iter().rposition(|&b| b == b' ')?;
    (first < last).then(|| (&line[..first], &line[first + 1..last], &line[last + 1..]))
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Writes a request line with its target cut, and the header saying the real length.
fn write_cut_line(pending: &mut Vec<u8>, method: &[u8], target: &[u8], length: usize, version: &[u8]) {
    pending.extend_from_slice(method);
    pending.push(b' ');
    pending.extend_from_slice(target);
    pending.push(b' ');
    pending.extend_from_slice(version);
    pending.extend_from_slice(format!("\r\n{TARGET_LENGTH_HEADER}: {length}\r\n").as_bytes());
}

/// The state after a header line: the next one, or the body once the head ended.
fn end_of_header_line(mut head: Head) -> State {
    let line = trim_line_end(&head.line);
    if head.line_length <= 2 && line.is_empty() {
        return match (head.unfollowable, head.content_length) {
            (true, _) => State::Through,
            (false, Some(length)) if length > 0 => State::Body(length),
            (false, _) => State::Line(Vec::new()),
        };
    }
    if head.line_length > HEADER_PREFIX_BYTES {
        // Only a long value of a header that frames the body matters.
        if starts_with_name(line, b"content-length") || starts_with_name(line, b"transfer-encoding") {
            head.unfollowable = true;
        }
    } else if starts_with_name(line, b"transfer-encoding") || starts_with_name(line, b"upgrade") {
        // A chunked body, or (upgrade) one actix-http reads to the end.
        head.unfollowable = true;
    } else if starts_with_name(line, b"content-length") {
        let value = std::str::from_utf8(&line[b"content-length:".len()..])
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok());
        match (value, head.content_length) {
            (Some(value), None) => head.content_length = Some(value),
            (Some(value), Some(seen)) if value == seen => {}
            _ => head.unfollowable = true,
        }
    }
    head.line.clear();
    head.line_length = 0;
    State::Head(head)
}

/// Whether a header line names `name` (ASCII, any case), followed by a colon.
fn starts_with_name(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) && line[name.len()] == b':'
}

impl<S: AsyncRead + Unpin> AsyncRead for LongTargets<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.taken < this.pending.len() {
                let ready = &this.pending[this.taken..];
                let n = ready.len().min(buf.remaining());
                buf.put_slice(&ready[..n]);
                this.taken += n;
                if this.taken == this.pending.len() {
                    this.pending.clear();
                    this.taken = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if matches!(this.state, State::Through) {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let idle = this.connection.as_ref().filter(|_| this.at_boundary());
            if idle.is_some_and(Opened::closing) {
                // Closed to make room: the end, as if the client had closed.
                return Poll::Ready(Ok(()));
            }
            let mut scratch = [0_u8; 8192];
            let mut read = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => {
                    if let Some(connection) = idle {
                        connection.park(cx.waker());
                    }
                    return Poll::Pending;
                }
                Poll::Ready(result) => result?,
            }
            if let Some(connection) = idle {
                connection.busy();
            }
            if read.filled().is_empty() {
                // The end of the stream: what was held goes on as it is.
                match std::mem::replace(&mut this.state, State::Through) {
                    State::Line(held) if !held.is_empty() => this.pending = held,
                    _ => return Poll::Ready(Ok(())),
                }
                continue;
            }
            this.feed(read.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LongTargets<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    /// What actix-http reads of `input`, fed in pieces of `piece` bytes.
    fn through(input: &[u8], piece: usize) -> Vec<u8> {
        let mut reader = LongTargets::new((), None);
        for chunk in input.chunks(piece) {
            reader.feed(chunk);
        }
        reader.pending
    }

    fn get(target: &str) -> String {
        format!("GET {target} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n")
    }

    #[test]
    fn ordinary_requests_pass_untouched_whatever_the_pieces() {
        let body = "GET /".to_owned() + &"a".repeat(70_000) + " HTTP/1.1\r\n";
        let input = format!(
            "\r\nPOST /api/palettes/ HTTP/1.1\r\nContent-Length: {}\r\nX-Long: {}\r\n\r\n{body}{}",
            body.len(),
            "v".repeat(200),
            get("/api/teams/?page=2")
        );
        for piece in [1, 7, 100, 8192, input.len()] {
            assert_eq!(through(input.as_bytes(), piece), input.as_bytes(), "pieces of {piece}");
        }
    }

    #[test]
    fn a_target_too_long_to_hold_is_cut_and_its_length_said_then_the_next_request_follows() {
        let target = "/api/teams/?q=".to_owned() + &"x".repeat(100_000);
        let input = get(&target) + &get("/healthz");
        for piece in [1, 1000, 8192, input.len()] {
            let seen = String::from_utf8(through(input.as_bytes(), piece)).expect("text");
            let cut = &target[..HELD_TARGET_BYTES];
            let expected = format!(
                "GET {cut} HTTP/1.1\r\n{TARGET_LENGTH_HEADER}: {}\r\nHost: x\r\nAccept: application/json\r\n\r\n{}",
                target.len(),
                get("/healthz")
            );
            assert!(seen == expected, "pieces of {piece}: {}", &seen[seen.len() - 200..]);
        }
    }

    #[test]
    fn a_target_between_the_url_limit_and_the_held_limit_is_left_to_the_middleware() {
        let input = get(&("/".to_owned() + &"y".repeat(HELD_TARGET_BYTES - 1)));
        assert_eq!(through(input.as_bytes(), 512), input.as_bytes());
    }

    #[test]
    fn what_cannot_be_followed_passes_untouched() {
        let long = get(&("/".to_owned() + &"z".repeat(70_000)));
        for head in [
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /ws HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n",
            "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: three\r\n\r\n",
        ] {
            let input = head.to_owned() + &long;
            assert_eq!(through(input.as_bytes(), 4096), input.as_bytes(), "{head}");
        }
        let garbage = "x".repeat(HELD_TARGET_BYTES * 3);
        assert_eq!(through(garbage.as_bytes(), 1000), garbage.as_bytes());
    }

    #[tokio::test]
    async fn reads_through_a_stream_and_keeps_a_line_held_at_its_end() {
        let input = get(&("/".to_owned() + &"w".repeat(80_000))) + "GET /unfinish";
        let mut reader = LongTargets::new(input.as_bytes(), None);
        let mut seen = Vec::new();
        reader.read_to_end(&mut seen).await.expect("read");
        let seen = String::from_utf8(seen).expect("text");
        assert!(
            seen.contains(&format!("{TARGET_LENGTH_HEADER}: 80001\r\n")),
            "{}",
            &seen[..100]
        );
        assert!(seen.ends_with("\r\n\r\nGET /unfinish"));
        assert!(seen.len() < HELD_TARGET_BYTES + 200);
    }
}
