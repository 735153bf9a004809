"""Render docker-compose.yml as `docker compose` would, and check what the schema cannot.

    python check.py COMPOSE_FILE ENV_FILE RENDERED_JSON

Interpolates ${...} with the values of ENV_FILE only (the process environment
is ignored, so a run is repeatable), with Compose's rules: $$ is a literal $,
${VAR} and $VAR, ${VAR:-default} / ${VAR-default}, ${VAR:?error} /
${VAR?error}, ${VAR:+alt} / ${VAR+alt}, nested. YAML anchors and merge keys
are resolved by the YAML loader, as Compose's does. Writes the result as JSON
to RENDERED_JSON (scripts/compose-check validates that against the Compose
Specification's schema), then checks the file's references and this project's
rules, and the Dockerfile the API's image is built from (parsed with Docker's
own parser), printing one line per check. Exits 1 when any check fails.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import dockerfile
from ruamel.yaml import YAML

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
DIGEST_PINNED = re.compile(r"^[^\s@]+:[^\s@:/]+@sha256:[0-9a-f]{64}$")
SECRET_KEY = re.compile(r"(PASSWORD|SECRET|TOKEN|DSN|_KEY)$")


class InterpolationError(Exception):
    pass


def load_yaml(path: Path):
    yaml = YAML(typ="safe", pure=True)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle)


def parse_dotenv(path: Path) -> dict[str, str]:
    """The subset of Compose's .env syntax that .env.example uses, strictly."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        match = re.fullmatch(rf"({NAME})\s*=\s*(.*)", line)
        if not match:
            raise SystemExit(f"{path}:{number}: not KEY=VALUE: {raw!r}")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.sub(r"\s+#.*$", "", value)
        values[key] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            depth, j = 1, i + 2
            while j < len(text) and depth:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                raise InterpolationError(f"unclosed ${{ in {text!r}")
            out.append(substitute(text[i + 2 : j - 1], env))
            i = j
        else:
            match = re.match(NAME, text[i + 1 :])
            if not match:
                raise InterpolationError(f"a lone $ in {text!r} (write $$ for a literal $)")
            out.append(env.get(match.group(0), ""))
            i += 1 + match.end()
    return "".join(out)


def substitute(expression: str, env: dict[str, str]) -> str:
    match = re.fullmatch(rf"({NAME})(?:(:?[-?+])(.*))?", expression, re.S)
    if not match:
        raise InterpolationError(f"invalid interpolation ${{{expression}}}")
    name, operator, argument = match.groups()
    value = env.get(name)
    present = value is not None
    filled = present and value != ""
    if operator is None:
        return value or ""
    argument = interpolate(argument, env)
    if operator in (":-", "-"):
        ok = filled if operator == ":-" else present
        return value if ok else argument
    if operator in (":?", "?"):
        ok = filled if operator == ":?" else present
        if not ok:
            raise InterpolationError(f"required variable {name} is missing: {argument}")
        return value
    ok = filled if operator == ":+" else present
    return argument if ok else ""


def interpolate_tree(node, env, path="$"):
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env, f"{path}.{key}") for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, env, f"{path}[{i}]") for i, value in enumerate(node)]
    if isinstance(node, str):
        try:
            return interpolate(node, env)
        except InterpolationError as error:
            raise SystemExit(f"{path}: {error}") from None
    return node


class Checks:
    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def check(self, ok: bool, what: str, problems: list[str] | None = None) -> None:
        if ok:
            self.passed += 1
            print(f"ok   - {what}")
        else:
            self.failed += 1
            print(f"FAIL - {what}")
            for problem in problems or []:
                print(f"         {problem}")


def named_volume_of(volume) -> tuple[str | None, str | None]:
    """(named volume, bind source) of a service's volume entry."""
    if isinstance(volume, dict):
        kind, source = volume.get("type"), volume.get("source")
        if kind == "volume":
            return source, None
        if kind == "bind":
            return None, source
        return None, None
    source = volume.split(":", 1)[0] if ":" in volume else None
    if source is None:
        return None, None
    if source.startswith((".", "/", "~")):
        return None, source
    return source, None


def check_dockerfile(checks: Checks, root: Path, services: dict) -> None:
    """The API's Dockerfile: pinned frontend and bases, a cached dependency layer, non-root, a health check."""
    built = {(spec["build"].get("context", "."), spec["build"].get("dockerfile", "Dockerfile"))
             for spec in services.values() if isinstance(spec.get("build"), dict)}
    for context, name in sorted(built):
        path = root / context / name
        commands = dockerfile.parse_file(str(path))
        args: dict[str, str] = {}
        stages: list[str] = []
        problems: list[str] = []
        final_user = None
        for command in commands:
            if command.cmd == "ARG" and "=" in command.value[0]:
                key, value = command.value[0].split("=", 1)
                args.setdefault(key, value)
            elif command.cmd == "FROM":
                image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)),
                               command.value[0])
                if image not in stages and not DIGEST_PINNED.match(image):
                    problems.append(f"FROM {command.value[0]} ({image}) is not pinned as name:tag@sha256:<digest>")
                if len(command.value) == 3 and command.value[1].upper() == "AS":
                    stages.append(command.value[2])
                final_user = None
            elif command.cmd == "USER":
                final_user = command.value[0]
        text = path.read_text(encoding="utf-8")
        syntax = re.match(r"#\s*syntax=(\S+)", text)
        if syntax and not DIGEST_PINNED.match(syntax.group(1)):
            problems.append(f"the frontend # syntax={syntax.group(1)} is not pinned by digest")
        if final_user is None or final_user.split(":")[0] in ("0", "root"):
            problems.append(f"the final stage runs as {final_user or 'root (no USER)'}")
        if not any(c.cmd == "HEALTHCHECK" and c.value and c.value[0] == "CMD" for c in commands):
            problems.append("no HEALTHCHECK CMD")
        if "cargo chef cook" not in text and "--mount=type=cache" not in text:
            problems.append("no cached dependency layer (cargo chef cook, or a cache mount)")
        copied = {source for c in commands if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags)
                  for source in c.value[:-1]}
        for needed in ("crates", "migrations", "Cargo.toml", "Cargo.lock"):
            if needed not in copied:
                problems.append(f"the build does not COPY {needed}")
        ignore = root / context / ".dockerignore"
        ignored = set(ignore.read_text(encoding="utf-8").split()) if ignore.exists() else set()
        for needed in ("target", ".git", "**/node_modules"):
            if needed not in ignored:
                problems.append(f".dockerignore does not exclude {needed}")
        for needed in ("crates", "migrations", "Cargo.toml", "Cargo.lock"):
            if needed in ignored:
                problems.append(f".dockerignore excludes {needed}, which the build needs")
        checks.check(not problems, f"{path.relative_to(root)}: pinned bases, cached dependencies, non-root "
                     f"({final_user}), HEALTHCHECK, .dockerignore", problems)


def main() -> int:
    compose_path, env_path, rendered_path = (Path(arg) for arg in sys.argv[1:4])
    root = compose_path.resolve().parent
    raw = load_yaml(compose_path)
    env = parse_dotenv(env_path)
    rendered = interpolate_tree(raw, env)
    Path(rendered_path).write_text(json.dumps(rendered, indent=2) + "\n", encoding="utf-8")
    print(f"rendered {compose_path} with {env_path} ({len(env)} values) into {rendered_path}")

    checks = Checks()
    services: dict = rendered.get("services") or {}
    declared_volumes = set((rendered.get("volumes") or {}).keys())
    declared_networks = set((rendered.get("networks") or {}).keys()) | {"default"}

    # Images: pinned by digest, except the ones this file builds.
    problems = [
        f"{name}: {spec.get('image')!r}"
        for name, spec in services.items()
        if "build" not in spec and not DIGEST_PINNED.match(str(spec.get("image", "")))
    ]
    checks.check(not problems, "every pulled image is pinned as name:tag@sha256:<digest>", problems)

    # depends_on: existing services, and conditions that can be met.
    problems = []
    for name, spec in services.items():
        depends = spec.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, how in depends.items():
            if target not in services:
                problems.append(f"{name} depends on unknown service {target}")
                continue
            condition = (how or {}).get("condition", "service_started")
            if condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name} waits for {target} to be healthy, which has no healthcheck")
            if condition == "service_completed_successfully" and services[target].get("restart", "no") != "no":
                problems.append(f"{name} waits for {target} to complete, which restarts")
    checks.check(not problems, "depends_on names existing services with conditions that can be met", problems)

    # Volumes, bind mounts, networks and env files exist.
    problems = []
    for name, spec in services.items():
        for volume in spec.get("volumes") or []:
            named, bind = named_volume_of(volume)
            if named and named not in declared_volumes:
                problems.append(f"{name}: volume {named} is not declared under volumes:")
            if bind and not (root / bind).exists():
                problems.append(f"{name}: bind mount source {bind} does not exist")
        networks = spec.get("networks") or []
        for network in networks if isinstance(networks, list) else networks.keys():
            if network not in declared_networks:
                problems.append(f"{name}: network {network} is not declared under networks:")
        env_files = spec.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = env_file if isinstance(env_file, str) else env_file.get("path")
            required = True if isinstance(env_file, str) else env_file.get("required", True)
            if required and not (root / path).exists():
                problems.append(f"{name}: env_file {path} does not exist")
    checks.check(not problems, "volumes, bind mounts, networks and env files all exist", problems)

    # Long-running services restart and are limited; one-shot ones do not restart.
    problems = []
    for name, spec in services.items():
        limits = ((spec.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        if not {"cpus", "memory"} <= set(limits):
            problems.append(f"{name}: no deploy.resources.limits cpus and memory")
        if "restart" not in spec:
            problems.append(f"{name}: no restart policy")
        elif not re.fullmatch(r"no|always|unless-stopped|on-failure(:[0-9]+)?", str(spec["restart"])):
            problems.append(f"{name}: restart {spec['restart']!r} is not a restart policy")
    checks.check(not problems, "every service has a restart policy and CPU and memory limits", problems)

    # Secrets come from .env, never from the file itself.
    problems = []
    for name, spec in (raw.get("services") or {}).items():
        environment = spec.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
        for key, value in environment.items():
            if SECRET_KEY.search(key) and value not in (None, "") and "${" not in str(value) and not str(value).startswith("/"):
                problems.append(f"{name}: {key} is written in the file, not taken from .env")
            if "URL" in key and re.search(r"://[^/@:]+:[^/@$]+@", str(value)):
                problems.append(f"{name}: {key} has a password written in the file")
    checks.check(not problems, "passwords and DSNs are interpolated from .env", problems)

    # The API: two instances checked on /readyz, behind nginx, scraped by Prometheus.
    api = [name for name, spec in services.items() if spec.get("command") != ["migrate"] and "build" in spec]
    problems = []
    if len(api) < 2:
        problems.append(f"API services: {api}")
    for name in api:
        test = " ".join(map(str, (services[name].get("healthcheck") or {}).get("test", [])))
        if "/readyz" not in test:
            problems.append(f"{name}: health check does not use /readyz: {test!r}")
    prometheus = load_yaml(root / "deploy/prometheus.yml")
    targets = {
        target
        for job in prometheus.get("scrape_configs", [])
        for static in job.get("static_configs", [])
        for target in static.get("targets", [])
    }
    for target in targets:
        host = target.rsplit(":", 1)[0]
        if host not in services and host != "localhost":
            problems.append(f"deploy/prometheus.yml scrapes {target}, not a service")
    for name in api:
        if not any(target.startswith(f"{name}:") for target in targets):
            problems.append(f"deploy/prometheus.yml does not scrape {name}")
    nginx_env = (services.get("nginx") or {}).get("environment") or {}
    upstreams = {value.rsplit(":", 1)[0] for key, value in nginx_env.items() if key.startswith("API_UPSTREAM_")}
    if set(api) != upstreams:
        problems.append(f"nginx upstreams {sorted(upstreams)} are not the API services {sorted(api)}")
    checks.check(not problems, f"API instances {api}: /readyz health checks, each behind nginx and scraped", problems)

    # The collector's pipelines name components it defines.
    collector = load_yaml(root / "deploy/otel-collector.yaml")
    problems = []
    for pipeline, parts in (collector.get("service", {}).get("pipelines") or {}).items():
        for kind in ("receivers", "processors", "exporters"):
            for component in parts.get(kind, []):
                if component not in (collector.get(kind) or {}):
                    problems.append(f"pipeline {pipeline}: {kind[:-1]} {component} is not defined")
    kinds = set((collector.get("service", {}).get("pipelines") or {}).keys())
    if not {"traces", "metrics", "logs"} <= kinds:
        problems.append(f"pipelines: {sorted(kinds)}")
    checks.check(not problems, "deploy/otel-collector.yaml: traces, metrics and logs pipelines are complete", problems)

    check_dockerfile(checks, root, services)

    print(f"project checks: {checks.passed} of {checks.passed + checks.failed} passed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
