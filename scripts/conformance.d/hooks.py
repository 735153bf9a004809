"""Schemathesis hooks of scripts/conformance (loaded through SCHEMATHESIS_HOOKS).

Every request authenticates as Alice (`--auth`), whom world.py seeded with
teams both ways with Bob, invitations and palettes; their ids are in the file
that PALETTE_CONFORMANCE_STATE names. `before_call` runs before every request
of every phase and points it at that world:

- Where a value was generated as valid, it is often made real: a path
  parameter becomes, about three times in four, the id of a seeded resource
  (except in the stateful phase, whose ids come from earlier responses), as
  does the `team` filter of a list. A team to write to (`owner_id`/`team_id`
  in a body, `team_id` of an import) always becomes one of Alice's teams, and
  an invitation's `username` always an existing user: the API contract
  answers 400 to anything else. The choice is a function of the generated
  value, not a random draw, so that a fixed `--seed` sends the same requests.
- Values that no JSON schema can make valid are made so: an `If-Match`
  becomes the target's current ETag, a `cursor` the server did not issue is
  dropped, and (in `map_case`) an import body becomes a file exported from a
  seeded palette in the format asked for. In the stateful phase, names that
  must be unique get a counter, so that the calls it chains create resources
  instead of colliding with what earlier phases created.
- A request sent as Alice that would destroy part of the seeded world is
  pointed at a disposable copy made on the spot: deleting a seeded palette,
  team, token or invitation, removing or re-roling a seeded member, joining
  or leaving a seeded team. Deleting the account or changing the password
  runs as a fresh user (with that user's password as `current_password`
  when the body is valid), so Alice stays usable; `after_call` logs her in
  again when the server may have dropped her cached login (see `_relogin`).

Values generated as invalid are never touched, and neither are requests
without Alice's credentials (schemathesis' authentication probes).
Schemathesis revalidates a case after `before_call`, so the checks judge what
was actually sent.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import sys
import threading
import time
import zlib

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.transport.serialization import Binary

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402

with open(os.environ["PALETTE_CONFORMANCE_STATE"], encoding="utf-8") as _state_file:
    STATE = json.load(_state_file)

API = world.Api(STATE["url"])
ALICE = world.ALICE
BOB = world.BOB
PASSWORD = STATE["password"]
ALICE_AUTH = world.basic(ALICE, PASSWORD)
USER_IDS = {name: user["id"] for name, user in STATE["users"].items()}
TEAMS = STATE["teams"]
PALETTES = list(STATE["palettes"].values())
MY_TEAMS = [TEAMS[key] for key in ("shared", "solo", "bobs", "personal")]
# Users one can invite: Bob and Carol (already in, or invited: 409), and spares.
INVITEES = [BOB, world.CAROL, *STATE["spares"]]
FILES = {fmt: base64.b64decode(data) for fmt, data in STATE["files"].items()}
FILE_TYPES = {
    "css": "text/css",
    "tokens.json": "application/design-tokens+json",
    "gpl": "application/x-gimp-palette",
    "ase": "application/x-adobe-ase",
}
# Import bodies: schemathesis has no serializer for these two palette formats.
schemathesis.serializer.alias("application/x-adobe-ase", "application/octet-stream")
schemathesis.serializer.alias("application/x-gimp-palette", "text/plain")
# A cursor as the server issues them: a signed payload (see kernel::pagination).
CURSOR = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$")

# Seeded memberships: (team, user) -> the shape of team to rebuild for a destructive call.
MEMBER_PAIRS = {
    (TEAMS["shared"], USER_IDS[BOB]): ("alice-with-bob", BOB),
    (TEAMS["shared"], USER_IDS[ALICE]): ("alice-with-bob", ALICE),
    (TEAMS["bobs"], USER_IDS[ALICE]): ("bob-with-alice", ALICE),
    (TEAMS["bobs"], USER_IDS[BOB]): ("bob-with-alice", BOB),
    (TEAMS["solo"], USER_IDS[ALICE]): ("alice-alone", ALICE),
}

# Seeded teams Alice is in, by the shape of team that stands in for one a call would end.
SEEDED_SHAPES = {"shared": "alice-with-bob", "solo": "alice-alone", "bobs": "bob-with-alice"}

PALETTE_PATHS = (
    "/api/palettes/{id}",
    "/api/palettes/{id}/contrast",
    "/api/palettes/{id}/copy",
    "/api/palettes/{id}/export/{format}",
)
TEAM_PATHS = ("/api/teams/{id}", "/api/teams/{id}/members", "/api/teams/{id}/invitations")
PATH_TARGETS: dict[tuple[str | None, str], list[dict]] = {
    **{(None, path): [{"id": p} for p in PALETTES] for path in PALETTE_PATHS},
    **{(None, path): [{"id": t} for t in MY_TEAMS] for path in TEAM_PATHS},
    (None, "/api/teams/{id}/members/{user_id}"): [{"id": t, "user_id": u} for (t, u) in MEMBER_PAIRS],
    (None, "/api/teams/{id}/invitations/{invitation_id}"): [
        {"id": TEAMS["shared"], "invitation_id": STATE["invitations"]["to_carol"]}
    ],
    ("PUT", "/api/teams/{id}/membership"): [{"id": TEAMS["inviting"]}],
    ("DELETE", "/api/teams/{id}/membership"): [{"id": TEAMS["bobs"]}],
    (None, "/api/tokens/{id}"): [{"id": STATE["token"]["id"]}],
}


def _digest(value: object) -> int:
    return zlib.crc32(json.dumps(value, sort_keys=True, default=repr).encode())


def _pick(value: object, choices: list):
    """A choice for `value` three times in four, else None; the same for the same value."""
    digest = _digest(value)
    if digest % 4 == 0 or not choices:
        return None
    return choices[(digest // 4) % len(choices)]


def _valid_at(case, location: ParameterLocation) -> bool:
    return case.meta is not None and not case.meta.is_negative_at(location)


def _same_type(new: int, old: object) -> object:
    return str(new) if isinstance(old, str) else new


# Generated values pointed at the seeded world.


def _map_path(case, method: str, path: str) -> None:
    if not case.path_parameters or case.meta.phase.name == TestPhase.STATEFUL:
        return
    if not _valid_at(case, ParameterLocation.PATH):
        return
    targets = PATH_TARGETS.get((method, path)) or PATH_TARGETS.get((None, path)) or []
    target = _pick(case.path_parameters, targets)
    if target is not None:
        case.path_parameters = {**case.path_parameters, **target}


def _map_query(case) -> None:
    if not isinstance(case.query, dict) or not case.query or not _valid_at(case, ParameterLocation.QUERY):
        return
    query = dict(case.query)
    # A list filtered by a team I am not in is empty: sometimes one of mine.
    if "team" in query:
        team = _pick(query["team"], MY_TEAMS)
        if team is not None:
            query["team"] = _same_type(team, query["team"])
    # An import into a team I am not in is a 400 (the API contract): always one of mine.
    if "team_id" in query:
        query["team_id"] = _same_type(MY_TEAMS[_digest(query["team_id"]) % len(MY_TEAMS)], query["team_id"])
    # A made-up cursor is refused (400) whatever its shape: send only the server's own.
    if "cursor" in query and not (isinstance(query["cursor"], str) and CURSOR.match(query["cursor"])):
        del query["cursor"]
    if query != case.query:
        case.query = query


def _import_file(case) -> None:
    """A valid import body becomes a file exported from a seeded palette, in the format asked for."""
    fmt = (case.query or {}).get("format")
    # Only in an all-valid case: the media type may be what a negative one got wrong.
    if not case.meta.generation.mode.is_positive or not isinstance(fmt, str) or fmt not in FILES:
        return
    # As bytes (`format: binary`), or as text under the format's own media type.
    # Not design tokens as `application/design-tokens+json`: the document gives that a
    # string, which a JSON media type sends as a quoted JSON string, not as the file.
    if fmt in ("css", "gpl") and _digest(case.query) % 2:
        media_type, body = FILE_TYPES[fmt], FILES[fmt].decode()
    else:
        media_type = FILE_TYPES[fmt] if fmt == "ase" and _digest(case.query) % 2 else "application/octet-stream"
        body = Binary(FILES[fmt])
    # Schemathesis revalidates a body that a hook assigns, and judges any binary one
    # invalid (4.32.5: `Case._validate_component`), which would make this valid request
    # count as a negative one. Written past `Case.__setattr__`, before the call, it is
    # taken as generated: the generated body was valid, and so is this one.
    object.__setattr__(case, "media_type", media_type)
    object.__setattr__(case, "body", body)


@schemathesis.hook
def map_case(ctx, case):
    # Here and not in `before_call`, which runs after the starting state of the case is taken.
    if case.meta is not None and case.operation.path.rstrip("/") == "/api/palettes/import":
        if case.method.upper() == "POST" and _valid_at(case, ParameterLocation.BODY):
            _import_file(case)
    return case


def _map_body(case, method: str, path: str) -> None:
    if not _valid_at(case, ParameterLocation.BODY):
        return
    if not isinstance(case.body, dict):
        return
    body = dict(case.body)
    # A team I am not in is a 400 in both versions (the API contract): always one of mine.
    for key in ("owner_id", "team_id"):
        if key in body:
            body[key] = _same_type(MY_TEAMS[_digest(body[key]) % len(MY_TEAMS)], body[key])
    # The stateful phase chains calls through the resources it creates: a name taken by
    # an earlier phase (hypothesis often draws "0") would only get a 409 (400 in 1.0).
    if case.meta.phase.name == TestPhase.STATEFUL:
        key = "username" if path == "/api/users" else "name"
        if path in UNIQUE_NAMES and isinstance(body.get(key), str):
            body[key] = _unique(body[key], UNIQUE_NAMES[path])
    # Inviting a username nobody has is a 400: always someone who exists.
    if path == "/api/teams/{id}/invitations" and "username" in body:
        body["username"] = INVITEES[_digest(body["username"]) % len(INVITEES)]
    if body != case.body:
        case.body = body


# Paths whose body names something unique, with the longest name allowed.
UNIQUE_NAMES = {
    "/api/users": 150,
    "/api/teams": 150,
    "/api/teams/{id}": 150,
    "/api/palettes": 255,
    "/api/palettes/{id}": 255,
    "/api/palettes/{id}/copy": 255,
}
_UNIQUE = itertools.count(1)


def _unique(name: str, longest: int) -> str:
    suffix = f"-{next(_UNIQUE)}"
    return name[: longest - len(suffix)] + suffix


# Destructive calls on the seeded world, redirected to disposable copies.


def _team_like(shape: str) -> int:
    if shape == "alice-with-bob":
        return API.team(ALICE, (BOB,))
    if shape == "bob-with-alice":
        return API.team(BOB, (ALICE,))
    return API.team(ALICE)


def _same_id(a, b) -> bool:
    return str(a) == str(b)


def _redirect(case, method: str, path: str) -> None:
    params = case.path_parameters or {}
    new: dict | None = None
    if path == "/api/palettes/{id}" and method == "DELETE":
        if any(_same_id(params.get("id"), p) for p in PALETTES):
            new = {"id": API.palette(ALICE, TEAMS["shared"])}
    elif path == "/api/teams/{id}" and method == "DELETE":
        if _same_id(params.get("id"), TEAMS["shared"]):
            new = {"id": _team_like("alice-with-bob")}
        elif _same_id(params.get("id"), TEAMS["solo"]):
            new = {"id": _team_like("alice-alone")}
    elif path == "/api/teams/{id}/members/{user_id}" and method in ("DELETE", "PATCH"):
        for (team, user), (shape, who) in MEMBER_PAIRS.items():
            if _same_id(params.get("id"), team) and _same_id(params.get("user_id"), user):
                new = {"id": _team_like(shape), "user_id": USER_IDS[who]}
                break
    elif path == "/api/teams/{id}/invitations/{invitation_id}" and method == "DELETE":
        if _same_id(params.get("invitation_id"), STATE["invitations"]["to_carol"]):
            invitee = API.register()["username"]
            new = {"id": TEAMS["shared"], "invitation_id": API.invite(ALICE, TEAMS["shared"], invitee)}
    elif path == "/api/teams/{id}/membership":
        if method == "PUT" and _same_id(params.get("id"), TEAMS["inviting"]):
            team = API.team(BOB)
            API.invite(BOB, team, ALICE)
            new = {"id": team}
        elif method == "DELETE":
            # Alice leaves a team like the seeded one, never the seeded one itself.
            for key, shape in SEEDED_SHAPES.items():
                if _same_id(params.get("id"), TEAMS[key]):
                    new = {"id": _team_like(shape)}
    elif path == "/api/tokens/{id}" and method == "DELETE":
        if _same_id(params.get("id"), STATE["token"]["id"]):
            new = {"id": API.token(ALICE)["id"]}
    if new is not None:
        case.path_parameters = {**params, **new}


def _current_etag(case, user: str) -> None:
    """A valid `If-Match` becomes the resource's current ETag (a made-up one can only get a 412)."""
    if "If-Match" not in case.headers or not _valid_at(case, ParameterLocation.HEADER):
        return
    if not _valid_at(case, ParameterLocation.PATH):
        return
    # ETags are sent in 2.0 only; If-Match takes them in either version.
    try:
        status, headers, _ = API.raw_with_headers("GET", case.formatted_path, user)
    except (OSError, ValueError):  # a path http.client will not send
        return
    if status == 200 and headers.get("ETag"):
        case.headers["If-Match"] = headers["ETag"]


# Alice's cached login. The server drops a user's cached Basic logins when one of their
# tokens is revoked (and all of them when its change listener reconnects); her next
# request from 127.0.0.1 is then checked against the login throttle, which
# schemathesis' deliberately wrong credentials have filled for that address, and gets
# a 429. Logging her in again from the hooks' own address puts her back in the cache,
# which is keyed by the credentials, not by the address.
_relogin = threading.Event()


def _warm_alice() -> None:
    API.raw("GET", "/api/users/me/", ALICE)


# Alice's seeded memberships. The hooks keep her calls off them, but some of
# schemathesis' checks send a case again as generated, without the hooks
# (after a redirected `DELETE .../membership`, the same call on the seeded
# team): when she has left a seeded team that way, she is invited back and
# accepts, before the next call relies on it. Looked at after every call that
# deleted something of a team, and every two seconds.
_MEMBERSHIPS = {"shared": BOB, "bobs": BOB}
_memberships_checked = [0.0]
_team_deletion = threading.Event()


def _keep_alice_in_seeded_teams() -> None:
    now = time.monotonic()
    if not _team_deletion.is_set() and now - _memberships_checked[0] < 2.0:
        return
    _team_deletion.clear()
    _memberships_checked[0] = now
    for key, inviter in _MEMBERSHIPS.items():
        team = TEAMS[key]
        status, _ = API.raw("GET", f"/api/teams/{team}/", ALICE)
        if status != 404:
            continue
        try:
            API.invite(inviter, team, ALICE)
            API.call("PUT", f"/api/teams/{team}/membership/", ALICE)
        except RuntimeError:
            pass  # Bob left too, or no longer owns it: nothing to restore.


@schemathesis.hook
def after_call(ctx, case, response):
    if case.method.upper() == "DELETE" and case.operation.path.startswith("/api/teams"):
        _team_deletion.set()
    if case.headers is None or case.headers.get("Authorization") != ALICE_AUTH:
        return
    revoked = case.method.upper() == "DELETE" and case.operation.path.startswith("/api/tokens")
    if (revoked and response.status_code < 300) or response.status_code == 429:
        _relogin.set()


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if _relogin.is_set():
        _relogin.clear()
        _warm_alice()
    _keep_alice_in_seeded_teams()
    path = case.operation.path.rstrip("/") or "/"
    method = case.method.upper()
    # Generated cases point at the seeded resources; a stateful step's ids
    # come from earlier responses, but its destructive calls are kept off
    # the seeded ones all the same (below).
    if case.meta is not None:
        _map_path(case, method, path)
        _map_query(case)
        _map_body(case, method, path)
    # Alice's: her header, or none (the session's `--auth` is hers).
    authorization = (case.headers or {}).get("Authorization")
    if authorization is not None and authorization != ALICE_AUTH:
        return
    user = ALICE
    if (method, path) in (("DELETE", "/api/users/me"), ("PUT", "/api/users/me/password")):
        user = API.register()["username"]
        # `--auth` is the session's: a request's own `auth` is what overrides it.
        kwargs["auth"] = (user, PASSWORD)
        case.headers = {**(case.headers or {}), "Authorization": world.basic(user, PASSWORD)}
        if method == "PUT" and isinstance(case.body, dict) and "current_password" in case.body:
            if _valid_at(case, ParameterLocation.BODY):
                case.body = {**case.body, "current_password": PASSWORD}
    else:
        _redirect(case, method, path)
    if method in ("PUT", "PATCH", "DELETE"):
        _current_etag(case, user)
