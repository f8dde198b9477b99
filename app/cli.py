"""The `contextgraph` command.

    contextgraph serve [--host H] [--port P] [--database URL] [--config FILE]
    contextgraph import-profiles FILE.csv [--database URL] [--config FILE] [--batch-size N] …
    contextgraph keys create --name NAME --roles ROLE,… | keys list | keys revoke NAME
    contextgraph encryption status | rotate [--resume] | remove-key ID | export [--output F] | import F
    contextgraph documents add FILE… | documents list | documents remove HASH

Each flag also reads CONTEXTGRAPH_<NAME> from the environment; flags win.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import uvicorn
from pydantic import ValidationError

from contextgraph.app import documents_command, encryption_command, keys_command
from contextgraph.app.connections import ensure_descriptors, protocol
from contextgraph.app.main import create_app
from contextgraph.app.settings import Settings, load_settings
from contextgraph.resolvers.errors import ContextError
from contextgraph.resolvers.version import VERSION

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contextgraph", description="Context Graph customer-context server")
    parser.add_argument("--version", action="version", version=f"contextgraph {VERSION}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (GraphQL at /graphql, REST at / and /genesys/1/cs)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; CONTEXTGRAPH_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080; CONTEXTGRAPH_PORT)")
    serve.add_argument("--database", help="sqlite:///FILE or postgresql://… (CONTEXTGRAPH_DATABASE)")
    serve.add_argument("--config", help="TOML config file (CONTEXTGRAPH_CONFIG)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1; CONTEXTGRAPH_WORKERS)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    load = commands.add_parser("import-profiles", help="bulk-import customer profiles from a CSV file (streamed)")
    load.add_argument("file", help="the CSV file: a header of attribute names, then one profile per record")
    _database_flags(load)
    load.add_argument("--delimiter", default=",")
    load.add_argument("--encoding", default="utf-8")
    load.add_argument("--batch-size", type=int, default=1000, help="profiles per transaction (default 1000)")
    load.add_argument("--max-errors", type=int, help="stop after this many bad records")
    load.add_argument("--start-from-index", type=int, default=0, help="skip the records before this index")
    load.add_argument("--id-key", help="skip records that an identification key finds already")
    load.add_argument("--quiet", action="store_true", help="no progress lines")
    load.add_argument(
        "--progress-every",
        type=float,
        metavar="SECONDS",
        help="seconds between progress lines (default 0.2 on a terminal, 5 otherwise)",
    )
    keys_command.add_parser(commands, _database_flags)
    encryption_command.add_parser(commands, _database_flags)
    documents_command.add_parser(commands, _database_flags)
    return parser


def _database_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", help="sqlite:///FILE or postgresql://… (CONTEXTGRAPH_DATABASE)")
    parser.add_argument("--config", help="TOML config file (CONTEXTGRAPH_CONFIG)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "import-profiles":
        return _import_profiles(args)
    if args.command == "keys":
        return _keys(args)
    if args.command == "encryption":
        return _encryption(args)
    if args.command == "documents":
        return _documents(args)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings(
            args.config, host=args.host, port=args.port, database=args.database, workers=args.workers
        )
        app = create_app(settings, server_process=True)
    except (ValidationError, ValueError, FileNotFoundError) as exc:
        print(f"contextgraph: configuration error: {_reason(exc)}", file=sys.stderr)
        return 2
    refusal = asyncio.run(encryption_command.preflight(settings))
    if refusal is not None:  # encrypted values this server's keys cannot read
        print(f"contextgraph: refusing to start: {refusal}", file=sys.stderr)
        return 2
    ensure_descriptors(settings)
    # The header timeout and connection cap (app/connections.py); X-Forwarded-For is the app's to
    # believe or not (trusted_proxies), never uvicorn's (it would believe any local client).
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": args.log_level,
        "access_log": False,
        "http": protocol(settings),
        "proxy_headers": False,
    }
    if settings.workers == 1:
        uvicorn.run(app, **options)
        return 0
    # Each worker process builds its own app from the same settings, handed over in the environment.
    os.environ.update(
        {
            "CONTEXTGRAPH_DATABASE": settings.database,
            "CONTEXTGRAPH_HOST": settings.host,
            "CONTEXTGRAPH_PORT": str(settings.port),
        }
    )
    if args.config:
        os.environ["CONTEXTGRAPH_CONFIG"] = os.path.abspath(args.config)
    with tempfile.TemporaryDirectory(prefix="contextgraph-metrics-") as metrics:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics  # /metrics adds up every worker's numbers
        # A worker that has not answered uvicorn's health check within 5 s (its default) is killed and
        # replaced: on a busy host importing and migrating takes longer, and workers died in a loop.
        uvicorn.run(
            "contextgraph.app.main:create_app_from_environment",
            factory=True,
            workers=settings.workers,
            timeout_worker_healthcheck=30,
            **options,
        )
    return 0


def _reason(exc: Exception) -> str:
    """What was wrong, without the values given: a setting may be a secret (the bootstrap key)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
    return str(exc)


def _offline(args: argparse.Namespace, run: Callable[[Settings], T]) -> T | None:
    """Run a command on the database without a server; None (after saying why) when it fails."""
    try:
        return run(load_settings(args.config, database=args.database))
    except (ValidationError, ValueError) as exc:
        print(f"contextgraph: {_reason(exc)}", file=sys.stderr)
    except OSError as exc:  # a file named on the command line: missing, a folder, not ours to read, there already
        where = f"'{exc.filename}'" if exc.filename is not None else "a file"
        print(f"contextgraph: cannot use {where}: {exc.strerror or exc}", file=sys.stderr)
    except ContextError as exc:
        print(f"contextgraph: {exc.description}", file=sys.stderr)
    return None


def _import_profiles(args: argparse.Namespace) -> int:
    from contextgraph.app.import_command import run_import

    report = _offline(args, lambda settings: run_import(settings, args))
    if report is None:
        return 2
    print(orjson.dumps(report.describe(), option=orjson.OPT_INDENT_2).decode())
    return 1 if report.errors or report.ambiguous else 0


def _keys(args: argparse.Namespace) -> int:
    answer = _offline(args, lambda settings: keys_command.run_keys(settings, args))
    if answer is None:
        return 2
    print(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    return 0


def _encryption(args: argparse.Namespace) -> int:
    answer = _offline(args, lambda settings: encryption_command.run_encryption(settings, args))
    if answer is None:
        return 2
    print(answer if isinstance(answer, str) else orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode(), end="")
    if not isinstance(answer, str):
        print()
    return 0


def _documents(args: argparse.Namespace) -> int:
    answer = _offline(args, lambda settings: documents_command.run_documents(settings, args))
    if answer is None:
        return 2
    print(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
