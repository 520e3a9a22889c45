"""``wegweiser serve``, ``wegweiser hash-password`` and ``wegweiser keys`` (new, add, list,
revoke, hash)."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser.commands._common import ProjectOpt
from wegweiser.errors import InvalidInput


class KeyKind(StrEnum):
    write = "write"
    api = "api"


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("hash-password")(hash_password)
    keys = typer.Typer(help="Collector write keys and read-only API tokens.", no_args_is_help=True)
    keys.command("new")(keys_new)
    keys.command("add")(keys_add)
    keys.command("list")(keys_list)
    keys.command("revoke")(keys_revoke)
    keys.command("hash")(keys_hash)
    app.add_typer(keys, name="keys")


def serve(
    project: ProjectOpt = Path("."),
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: server.host, 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: server.port, 8000).")] = None,
    journeys: Annotated[bool, typer.Option(
        "--journeys", help="Also run the journeys worker (wegweiser journeys run) beside the "
        "server, as a process of its own that ends with it.")] = False,
) -> None:
    """Run the collector (/v1/*), the query API (/api/v1/*, docs at /api/docs) and the
    dashboard (/); with --journeys also the journeys worker.

    The store stays usable by other commands while the server runs: the server opens it
    only for each flush or request. Without dashboard users (server.users or
    WEGWEISER_USERS) the server listens on localhost only.
    """
    import uvicorn

    from wegweiser.config import load_config
    from wegweiser.serve.app import create_app
    from wegweiser.serve.context import LOOPBACK, load_secrets
    from wegweiser.serve.protocol import guarded_protocol

    config = load_config(project)
    host = host or config.server.host
    port = port or config.server.port
    secrets = load_secrets(config)
    if not secrets.users and host not in LOOPBACK:
        raise InvalidInput(
            f"No dashboard users are configured, so the server only listens on localhost, "
            f"not {host}. Add one with `wegweiser hash-password` to server.users (or "
            "WEGWEISER_USERS) to listen on other addresses."
        )
    app = create_app(project)
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    typer.echo(f"Wegweiser serving {Path(project).resolve()}")
    typer.echo(f"  Dashboard  {base}/")
    typer.echo(f"  Collector  {base}/v1/batch  ({len(secrets.write_keys)} write key(s))")
    typer.echo(f"  Query API  {base}/api/v1/  (OpenAPI docs: {base}/api/docs)")
    if not secrets.users:
        typer.echo("  Open access: no users configured, listening on localhost only.")
    if not secrets.write_keys:
        typer.echo("  No write keys yet: `wegweiser keys add --kind write` adds one.")
    if secrets.plaintext:
        typer.echo(
            f"  Deprecated: {secrets.plaintext} key(s) stored in plaintext in "
            "wegweiser.toml; `wegweiser keys hash` stores them hashed."
        )
    worker = _journeys_worker(project) if journeys else None
    server = config.server
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            http=guarded_protocol(server.header_timeout_seconds),
            proxy_headers=False,  # X-Forwarded-*: only from server.trusted_proxies (guard)
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=64 * 1024,
        )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def _journeys_worker(project: Path) -> subprocess.Popen[bytes]:
    """``wegweiser journeys run`` for ``project`` as a child process (journey files checked
    first, so that a broken one stops the server's start with its precise error)."""
    from wegweiser.config import load_config
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys

    load_journeys(Path(project) / JOURNEYS_DIR, phases=load_config(project).phase_names)
    worker = subprocess.Popen(
        [sys.executable, "-m", "wegweiser.cli", "journeys", "run", "--project", str(project)]
    )
    typer.echo(f"  Journeys   worker running (process {worker.pid})")
    return worker


def hash_password(
    password: Annotated[
        str | None, typer.Option(help="The password (asked for when left out).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Print a full 'name:hash' entry.")] = None,
    role: Annotated[Role | None, typer.Option(
        help="With --user: the role (admin sees everything, analyst analyses without "
             "personal data, viewer dashboards only); left out: admin.")] = None,
) -> None:
    """Print the hash of a dashboard password for server.users / WEGWEISER_USERS."""
    from wegweiser.serve.auth import hash_password as make_hash

    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise InvalidInput("the two passwords differ")
    if len(password) < 8:
        raise InvalidInput("use a password of at least 8 characters")
    hashed = make_hash(password)
    if role is not None and not user:
        raise InvalidInput("--role needs --user (the entry is name:role:hash)")
    prefix = f"{user}:{role.value}:" if user and role else f"{user}:" if user else ""
    typer.echo(prefix + hashed)


def keys_new(
    kind: Annotated[KeyKind, typer.Option(help="write: collector key; api: read-only token.")],
    project: ProjectOpt = Path("."),
    save: Annotated[
        bool, typer.Option(help="Also add it (hashed) to wegweiser.toml, as `keys add` does.")
    ] = False,
) -> None:
    """Print a new random collector write key or read-only API token (for the environment:
    WEGWEISER_WRITE_KEYS, WEGWEISER_API_TOKENS)."""
    if save:
        keys_add(kind, project)
        return
    from wegweiser.serve.auth import new_key

    typer.echo(new_key("wk" if kind is KeyKind.write else "at"))


def _field(kind: KeyKind) -> str:
    return "write_keys" if kind is KeyKind.write else "api_tokens"


def keys_add(
    kind: Annotated[KeyKind, typer.Option(help="write: collector key; api: API token.")],
    project: ProjectOpt = Path("."),
    scope: Annotated[Scope, typer.Option(
        help="API tokens: read (analyses and persons), write (also segments, annotations, "
             "fixes, consent) or admin (everything, audit log included).")] = Scope.read,
) -> None:
    """Make a new key, store its hash in wegweiser.toml and print the key -- once: it cannot
    be shown again. A running server takes it up within a second, without a restart."""
    from wegweiser import audit
    from wegweiser.config_edit import add_server_entry
    from wegweiser.serve.auth import hash_key, key_id, new_key, with_scope

    if kind is KeyKind.write and scope is not Scope.read:
        raise InvalidInput("--scope is for API tokens (--kind api); write keys only collect")
    key = new_key("wk" if kind is KeyKind.write else "at")
    add_server_entry(project, _field(kind), with_scope(hash_key(key), scope.value))
    audit.record(project, actor=audit.cli_actor(), action="config_change",
                 target=f"server.{_field(kind)}", surface="cli",
                 detail={"added": key_id(key), "scope": scope.value})
    typer.echo(key)
    typer.echo(
        f"(id {key_id(key)}; stored hashed in wegweiser.toml; this is the only time "
        "the key is shown)",
        err=True,
    )


def keys_list(project: ProjectOpt = Path(".")) -> None:
    """List the write keys and API tokens by id (the keys themselves are not stored)."""
    from wegweiser.config import load_config
    from wegweiser.serve.auth import is_hashed, key_id, split_scope

    config = load_config(project)
    rows: list[tuple[str, str, str]] = []
    for kind, entries, env in (
        ("write", config.server.write_keys, "WEGWEISER_WRITE_KEYS"),
        ("api", config.server.api_tokens, "WEGWEISER_API_TOKENS"),
    ):
        rows += [
            (kind if kind == "write" else f"api:{split_scope(e)[0]}", key_id(e),
             "hashed" if is_hashed(e) else "PLAINTEXT (keys hash)")
            for e in entries
        ]
        from_env = [e.strip() for e in os.environ.get(env, "").split(",") if e.strip()]
        rows += [(kind, key_id(e), f"environment {env}") for e in from_env]
    if not rows:
        typer.echo("No keys; `wegweiser keys add --kind write` makes one.")
        return
    typer.echo(f"{'kind':<9} {'id':<12}  stored")
    for kind, ident, where in rows:  # kind of API tokens: api:<scope>
        typer.echo(f"{kind:<9} {ident:<12}  {where}")


def keys_revoke(
    key: Annotated[
        str,
        typer.Argument(
            help="The key itself, or its id from `keys list` (at least 6 characters of it)."
        ),
    ],
    project: ProjectOpt = Path("."),
) -> None:
    """Remove a write key or API token from wegweiser.toml; a running server refuses it
    within a second."""
    from wegweiser.config import load_config
    from wegweiser.config_edit import remove_server_entries
    from wegweiser.serve.auth import key_id

    key = key.strip()
    wanted = key_id(key)

    def matches(entry: str) -> bool:
        ident = key_id(entry)
        return ident == wanted or (len(key) >= 6 and ident.startswith(key.lower()))

    config = load_config(project)
    found = [e for e in [*config.server.write_keys, *config.server.api_tokens] if matches(e)]
    if len({key_id(e) for e in found}) > 1:
        raise InvalidInput(f"{key!r} matches {len(found)} keys; give more of the id")
    if not found:
        raise InvalidInput(
            f"no key {key!r} in wegweiser.toml (`wegweiser keys list` shows the ids; keys "
            "from the environment are removed there)"
        )
    removed: list[str] = []
    for field in ("write_keys", "api_tokens"):
        removed += remove_server_entries(project, field, matches)[1]
    from wegweiser import audit

    for ident in sorted({key_id(e) for e in removed}):
        audit.record(project, actor=audit.cli_actor(), action="config_change",
                     target="server.keys", surface="cli", detail={"revoked": ident})
    typer.echo(f"Revoked {', '.join(sorted({key_id(e) for e in removed}))}.")


def keys_hash(project: ProjectOpt = Path(".")) -> None:
    """Replace the plaintext keys and tokens in wegweiser.toml by their hashes (the keys
    keep working; the file no longer gives them away)."""
    from wegweiser.config_edit import replace_server_entries
    from wegweiser.serve.auth import hash_key, is_hashed, split_scope, with_scope

    def hashed(entry: str) -> str:
        scope, bare = split_scope(entry)
        return entry if is_hashed(bare) else with_scope(hash_key(bare), scope)

    changed = 0
    for field in ("write_keys", "api_tokens"):
        _, done = replace_server_entries(project, field, hashed)
        changed += len(done)
    typer.echo(f"Hashed {changed} key(s)." if changed else "All keys are stored hashed.")
