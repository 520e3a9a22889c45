"""``wegweiser serve``, ``wegweiser hash-password`` and ``wegweiser keys new``."""

from __future__ import annotations

import getpass
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser.commands._common import ProjectOpt
from wegweiser.config import load_config
from wegweiser.errors import InvalidInput


class KeyKind(StrEnum):
    write = "write"
    api = "api"


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("hash-password")(hash_password)
    keys = typer.Typer(help="Collector write keys and read-only API tokens.", no_args_is_help=True)
    keys.command("new")(keys_new)
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

    from wegweiser.serve.app import create_app
    from wegweiser.serve.context import LOOPBACK, load_secrets

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
        typer.echo("  No write keys yet: `wegweiser keys new --kind write --save` adds one.")
    worker = _journeys_worker(project) if journeys else None
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
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
    typer.echo(f"{user}:{hashed}" if user else hashed)


def keys_new(
    kind: Annotated[KeyKind, typer.Option(help="write: collector key; api: read-only token.")],
    project: ProjectOpt = Path("."),
    save: Annotated[
        bool, typer.Option(help="Also add it to wegweiser.toml (server.write_keys/api_tokens).")
    ] = False,
) -> None:
    """Print a new random collector write key or read-only API token."""
    from wegweiser.config_edit import add_server_entry
    from wegweiser.serve.auth import new_key

    key = new_key("wk" if kind is KeyKind.write else "at")
    if save:
        add_server_entry(project, "write_keys" if kind is KeyKind.write else "api_tokens", key)
    typer.echo(key)
