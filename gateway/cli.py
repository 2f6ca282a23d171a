"""The `taskloom` command: serve, migrate, createuser, invite create."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateway.observability.logs import configure_logging, uvicorn_logging
from infra.errors import DomainError
from infra.settings.environment import (
    SettingsError,
    log_format,
    server_settings_from_env,
    settings_from_env,
)
from infra.settings.values import ServerSettings, Settings
from models.database import database
from models.migrate import apply_migrations
from resolvers import accounts


def _serve(settings: Settings, arguments: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_served_app

    if arguments.migrate:
        _migrate(settings, arguments)
    if arguments.workers > 1:
        # Each worker process builds its own app from the same environment.
        uvicorn.run(
            "gateway.app:create_served_app",
            factory=True,
            workers=arguments.workers,
            host=arguments.host,
            port=arguments.port,
            log_level=arguments.log_level,
            ws_max_size=settings.max_json_bytes,
            **_proxy_options(settings),
            **uvicorn_logging(arguments.server.log_format),
        )
        return 0
    uvicorn.run(
        create_served_app(settings),
        host=arguments.host,
        port=arguments.port,
        log_level=arguments.log_level,
        # uvicorn reads a whole WebSocket message before the app sees it: cap it as JSON bodies.
        ws_max_size=settings.max_json_bytes,
        **_proxy_options(settings),
        **uvicorn_logging(arguments.server.log_format),
    )
    return 0


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """X-Forwarded-For is believed only from TASKLOOM_TRUSTED_PROXIES (by default from no one,
    not even loopback: a local proxy that passes a client's header through would otherwise let
    the client choose the address the per-address limits count)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def _migrate(settings: Settings, arguments: argparse.Namespace) -> int:
    applied = asyncio.run(apply_migrations(settings.database_url))
    print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {name}" for name in applied))
    return 0


def _read_password(arguments: argparse.Namespace) -> str:
    if arguments.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if password := os.environ.get("TASKLOOM_PASSWORD"):
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise DomainError("The passwords do not match")
    return first


def _createuser(settings: Settings, arguments: argparse.Namespace) -> int:
    account = accounts.NewAccount(
        username=arguments.username,
        name=arguments.name or arguments.username,
        email=arguments.email,
        password=_read_password(arguments),
    )

    async def create() -> None:
        async with database(settings.database_url):
            user = await accounts.create_user(
                account, bcrypt_rounds=settings.bcrypt_rounds, admin=arguments.admin
            )
        role = "administrator" if user.is_admin else "user"
        print(f"created {role} {user.username}")

    asyncio.run(create())
    return 0


def _invite_create(settings: Settings, arguments: argparse.Namespace) -> int:
    async def create() -> None:
        async with database(settings.database_url):
            invite = await accounts.new_invite(
                max_uses=arguments.max_uses, expires_in_hours=arguments.expires_in_hours
            )
        print(invite.code)

    asyncio.run(create())
    return 0


def _ingest(settings: Settings, arguments: argparse.Namespace) -> int:
    from gateway.ingest_command import ingest

    paths = [Path(path) for path in arguments.paths]
    failed = asyncio.run(ingest(settings, paths, arguments.user, wait=not arguments.queue_only))
    return 1 if failed else 0


def _worker(settings: Settings, arguments: argparse.Namespace) -> int:
    from gateway.ingest_command import work

    asyncio.run(work(settings, until_idle=arguments.until_idle, concurrency=arguments.concurrency))
    return 0


def _parser(server: ServerSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskloom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (HOST, PORT)")
    serve.add_argument("--host", default=server.host)
    serve.add_argument("--port", type=int, default=server.port)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument(
        "--workers",
        type=int,
        default=server.workers,
        help="server processes (subscriptions across them need PostgreSQL)",
    )
    serve.set_defaults(run=_serve, server=server)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(run=_migrate)

    createuser = commands.add_parser("createuser", help="create an account")
    createuser.add_argument("username")
    createuser.add_argument("--email", required=True)
    createuser.add_argument("--name")
    createuser.add_argument("--admin", action="store_true")
    createuser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    createuser.set_defaults(run=_createuser)

    invite = commands.add_parser("invite", help="invite codes")
    invite_commands = invite.add_subparsers(dest="invite_command", required=True)
    invite_create = invite_commands.add_parser("create", help="create an invite code")
    invite_create.add_argument("--max-uses", type=int, default=accounts.INVITE_DEFAULT_USES)
    invite_create.add_argument(
        "--expires-in-hours", type=int, default=accounts.INVITE_DEFAULT_HOURS
    )
    invite_create.set_defaults(run=_invite_create)

    ingest = commands.add_parser("ingest", help="add files or folders to a user's knowledge base")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--user", required=True, help="the owner's username")
    ingest.add_argument(
        "--queue-only", action="store_true", help="queue the files for the server's workers"
    )
    ingest.set_defaults(run=_ingest)

    worker = commands.add_parser("worker", help="run ingestion workers in the foreground")
    worker.add_argument("--concurrency", type=int, default=1)
    worker.add_argument("--until-idle", action="store_true", help="exit once no job is left")
    worker.set_defaults(run=_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Configured first, so that a library calling basicConfig at import (wordllama does, at
    # INFO) cannot flood the output.
    configure_logging(log_format(os.environ))
    try:
        arguments = _parser(server_settings_from_env()).parse_args(argv)
        settings = settings_from_env()
        return int(arguments.run(settings, arguments))
    except SettingsError as error:
        print(f"taskloom: configuration error: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        fields = getattr(error, "fields", None)
        detail = "".join(f"\n  {name}: {reason}" for name, reason in (fields or {}).items())
        print(f"taskloom: {error.message}{detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
