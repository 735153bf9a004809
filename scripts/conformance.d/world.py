"""The seeded world of a conformance run, and the API calls that build it.

`python3 world.py seed URL STATE_FILE` registers the users, teams, invitations,
palettes and a token that schemathesis' requests are pointed at (see hooks.py),
and writes their ids to STATE_FILE as JSON.

The hooks import this module too, to make disposable resources on the fly
(a palette to delete instead of a seeded one, a fresh user to delete instead
of the one every request authenticates as). Those calls come from 127.0.0.2,
not from 127.0.0.1 like schemathesis' own requests: the wrong credentials
that schemathesis sends on purpose count against 127.0.0.1 in the server's
login throttle, and must not lock the hooks out.

Standard library only: it runs under any python3.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import sys
import threading
import urllib.parse

V2 = "application/vnd.photoroom+json; version=2.0"
PASSWORD = "conformance-password-1"
ALICE = "conformance-alice"
BOB = "conformance-bob"
CAROL = "conformance-carol"
COLORS = [
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"],
    ["#000", "#fff", "#777777", "#ffcc0080"],
    [{"hex": "#264653", "name": "charcoal"}, {"hex": "#2a9d8f", "name": "teal"}, {"hex": "#e9c46a", "name": "saffron"}],
    [],
]


def basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Api:
    """Calls to the server under test, as the 2.0 API, from `source`."""

    def __init__(self, url: str, source: str | None = "127.0.0.2") -> None:
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.source = source
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self.prefix = f"p{os.getpid()}"

    def unique(self, what: str) -> str:
        with self._lock:
            return f"conformance-{what}-{self.prefix}-{next(self._names)}"

    def raw(self, method: str, path: str, user: str | None = None, body: object = None, accept: str = V2):
        status, _, raw = self.raw_with_headers(method, path, user, body, accept)
        return status, raw

    def raw_with_headers(self, method: str, path: str, user: str | None = None, body: object = None,
                         accept: str = V2):
        source = (self.source, 0) if self.source else None
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=source)
        headers = {"Accept": accept}
        if user is not None:
            headers["Authorization"] = basic(user)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, user: str | None = None, body: object = None) -> dict | None:
        status, raw = self.raw(method, path, user, body)
        if not 200 <= status < 300:
            raise RuntimeError(f"setup request {method} {path} as {user}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    # The resources, made through the API.

    def register(self, username: str | None = None) -> dict:
        username = username or self.unique("user")
        user = self.call("POST", "/api/users/", body={"username": username, "password": PASSWORD})
        return {"id": user["id"], "username": username, "personal_team_id": user["personal_team_id"]}

    def invite(self, owner: str, team_id: int, invitee: str) -> int:
        return self.call("POST", f"/api/teams/{team_id}/invitations/", owner, {"username": invitee})["id"]

    def team(self, owner: str, members: tuple[str, ...] = (), name: str | None = None) -> int:
        team_id = self.call("POST", "/api/teams/", owner, {"name": name or self.unique("team")})["id"]
        for member in members:
            self.invite(owner, team_id, member)
            self.call("PUT", f"/api/teams/{team_id}/membership/", member)
        return team_id

    def palette(self, user: str, team_id: int, name: str | None = None, colors: list | None = None) -> int:
        body = {"name": name or self.unique("palette"), "team_id": team_id, "colors": colors or COLORS[0]}
        return self.call("POST", "/api/palettes/", user, body)["id"]

    def token(self, user: str) -> dict:
        created = self.call("POST", "/api/tokens/", user, {"name": self.unique("token")})
        return {"id": created["id"], "token": created["token"]}


def seed(url: str) -> dict:
    """Two users who share teams both ways, a third one invited, palettes in every team."""
    api = Api(url)
    users = {name: api.register(name) for name in (ALICE, BOB, CAROL)}
    spares = [api.register(f"conformance-spare-{i}")["username"] for i in range(1, 6)]
    teams = {
        # Alice owns it, Bob is a member.
        "shared": api.team(ALICE, (BOB,), "Conformance shared"),
        # Alice alone.
        "solo": api.team(ALICE, (), "Conformance solo"),
        # Bob owns it, Alice is a member (her owner's actions get 403).
        "bobs": api.team(BOB, (ALICE,), "Conformance Bob's"),
        # Bob's, Alice invited and not yet in it.
        "inviting": api.team(BOB, (), "Conformance inviting"),
        "personal": users[ALICE]["personal_team_id"],
    }
    invitations = {
        "to_alice": api.invite(BOB, teams["inviting"], ALICE),
        "to_carol": api.invite(ALICE, teams["shared"], CAROL),
    }
    palettes = {}
    for i, key in enumerate(("shared", "shared", "shared", "solo", "personal", "bobs")):
        palettes[f"{key}-{i}"] = api.palette(ALICE, teams[key], f"Conformance palette {i}", COLORS[i % len(COLORS)])
    # Exports of a palette, to import back.
    files = {}
    first = palettes["shared-0"]
    for fmt in ("css", "tokens.json", "gpl", "ase"):
        status, raw = api.raw("GET", f"/api/palettes/{first}/export/{fmt}", ALICE, accept="*/*")
        if status != 200:
            raise RuntimeError(f"export {fmt}: {status} {raw[:300]!r}")
        files[fmt] = base64.b64encode(raw).decode()
    return {
        "url": url,
        "password": PASSWORD,
        "users": users,
        "spares": spares,
        "teams": teams,
        "invitations": invitations,
        "palettes": palettes,
        "token": api.token(ALICE),
        "files": files,
    }


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "seed":
        sys.exit("usage: world.py seed URL STATE_FILE")
    state = seed(sys.argv[2])
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1)
    t = state["teams"]
    print(
        f"seeded: users {', '.join(state['users'])}; teams {t}; "
        f"{len(state['palettes'])} palettes; invitations {state['invitations']}"
    )
