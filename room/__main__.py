"""The ``room`` command: ``room serve`` runs the app and prints the URL to open;
``room backup PATH`` copies the embedded store while it serves, ``room restore PATH``
puts one back while the server is stopped."""

from __future__ import annotations

import argparse
import os
import sys

WS_MAX_BYTES = 64 * 1024  # a client frame; room.protocol refuses larger ones too
PING_SECONDS = 10.0  # so that a laptop that vanished leaves presence within ~20 s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="room", description="Codev Room")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the app and print the URL to open")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument("--db", default=None, help="SQLite file; default: $ROOM_DB or data/room.db")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also create a demonstration session and print its links",
    )
    for name, help_text in (
        ("backup", "copy the SQLite store to PATH, a new file (the server may be running)"),
        ("restore", "replace the SQLite store by the copy at PATH (stop the server first)"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("path")
        command.add_argument("--db", default=None, help="default: $ROOM_DB or data/room.db")
    args = parser.parse_args(argv)
    if args.command in ("backup", "restore"):
        return _copy(args)
    return _serve(args)


def _copy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from room.settings import Settings, SettingsError
    from room.store.backup import BackupError, backup, restore

    if args.db:
        os.environ["ROOM_DB"] = args.db
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"room: {error}", file=sys.stderr)
        return 2
    if settings.redis_url is not None:
        print(
            "room: REDIS_URL is set: the store is Redis, which keeps its own copies "
            "(RDB snapshots, the append-only file); room backup copies the SQLite store.",
            file=sys.stderr,
        )
        return 2
    database, path = Path(settings.db_path), Path(args.path)
    try:
        if args.command == "backup":
            backup(database, path)
            print(f"room: {database} copied to {path}")
        else:
            restore(path, database)
            print(f"room: {database} restored from {path}")
    except BackupError as error:
        print(f"room: {error}", file=sys.stderr)
        return 2
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from room.settings import Settings, SettingsError

    if args.db:
        os.environ["ROOM_DB"] = args.db
    if args.port is not None:
        os.environ["PORT"] = str(args.port)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"room: {error}", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.redis_url is None:
        print(
            "room: --workers above 1 needs a store shared by the workers (REDIS_URL); "
            "the embedded SQLite store serves one process. Run one worker.",
            file=sys.stderr,
        )
        return 2
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    url = f"http://{host}:{settings.port}"
    if args.demo:
        os.environ["ROOM_DEMO"] = url
    print(f"Codev Room: open {url}/", flush=True)
    uvicorn.run(
        "room.app:create_app",
        factory=True,
        host=args.host,
        port=settings.port,
        workers=args.workers,
        ws_max_size=WS_MAX_BYTES,
        ws_ping_interval=PING_SECONDS,
        ws_ping_timeout=PING_SECONDS,
        ws_per_message_deflate=False,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
