"""The `contextgraph` command: `contextgraph serve [--host H] [--port P] [--database URL] [--config FILE]`.

Each flag also reads CONTEXTGRAPH_<NAME> from the environment; flags win.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn
from pydantic import ValidationError

from contextgraph import __version__
from contextgraph.app.main import create_app
from contextgraph.app.settings import load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contextgraph", description="Context Graph customer-context server")
    parser.add_argument("--version", action="version", version=f"contextgraph {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (GraphQL at /graphql, REST at / and /genesys/1/cs)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; CONTEXTGRAPH_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080; CONTEXTGRAPH_PORT)")
    serve.add_argument("--database", help="sqlite:///FILE or postgresql://… (CONTEXTGRAPH_DATABASE)")
    serve.add_argument("--config", help="TOML config file (CONTEXTGRAPH_CONFIG)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings(args.config, host=args.host, port=args.port, database=args.database)
        app = create_app(settings)
    except (ValidationError, ValueError, FileNotFoundError) as exc:
        print(f"contextgraph: configuration error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
