"""`contextgraph documents add|list|remove`: trusted documents for operators, straight to the database.

    contextgraph documents add desktop.graphql persisted-query-manifest.json
    contextgraph documents list
    contextgraph documents remove 5f1c…e3 (the sha256 hash `list` shows)

A file is one GraphQL document, unless it is JSON: an Apollo persisted-query manifest
(`generate-persisted-query-manifest`: `{"format": "apollo-persisted-query-manifest", "operations":
[{"id", "body", …}]}`) or an object of id → document (Relay's `persisted-queries.json`), each
document registered under the sha256 of its text — the hash clients send. Documents are registered
all or none; running servers take the change within `refresh_interval`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import orjson

from contextgraph.app.settings import Settings
from contextgraph.resolvers.access import documents
from contextgraph.resolvers.errors import BadParameter
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.schema.persisted import describe


def add_parser(commands: Any, database_flags: Any) -> None:
    parser = commands.add_parser("documents", help="register, list and remove trusted GraphQL documents")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register the documents of these files (GraphQL, or a JSON manifest)")
    add.add_argument("files", nargs="+", help="a .graphql file, an Apollo persisted-query manifest, or {id: document}")
    remove = actions.add_parser("remove", help="unregister a document by its sha256 hash")
    remove.add_argument("hash", help="the document's sha256 hash (as `documents list` shows it)")
    listing = actions.add_parser("list", help="every trusted document: hash, operation name, registered")
    for sub in (add, remove, listing):
        database_flags(sub)


def read_files(paths: list[str]) -> list[str]:
    """The documents these files hold (BadParameter naming the file that cannot be read)."""
    texts: list[str] = []
    for path in paths:
        try:
            raw = Path(path).read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BadParameter(path, f"cannot read it as UTF-8 text: {error}") from None
        texts += _documents_of(path, text)
    return texts


def _documents_of(path: str, text: str) -> list[str]:
    if not text.lstrip().startswith(("{", "[")):
        return [text]  # a GraphQL document, as it is
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise BadParameter(path, f"not JSON: {error}") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list):
            raise BadParameter(path, "an Apollo manifest holds a list of `operations`")
        bodies = []
        for number, item in enumerate(operations):
            body = item.get("body") if isinstance(item, dict) else None
            if not isinstance(body, str):
                raise BadParameter(f"{path}: operations[{number}]", "each operation has a `body` string")
            given = item.get("id")
            if isinstance(given, str) and documents.HASH.fullmatch(given) and given != documents.document_hash(body):
                raise BadParameter(f"{path}: operations[{number}]", "its id is not the sha256 of its body")
            bodies.append(body)
        return bodies
    if isinstance(data, dict) and all(isinstance(value, str) for value in data.values()):
        return list(data.values())
    raise BadParameter(path, "JSON here is an Apollo persisted-query manifest or an object of id → document")


def run_documents(settings: Settings, args: argparse.Namespace) -> Any:
    texts = read_files(args.files) if args.action == "add" else []
    return asyncio.run(_run(settings, args, texts))


async def _run(settings: Settings, args: argparse.Namespace, texts: list[str]) -> Any:
    database = Database(settings.async_database_url, pool_size=1)
    try:
        await migrate(database)
        if args.action == "list":
            async with database.read() as conn:
                return [_short(item) for item in await documents.list_documents(conn)]
        async with database.write() as conn:
            if args.action == "add":
                return [_short(item) for item in await documents.add_documents(conn, texts, describe)]
            return _short(await documents.remove_document(conn, args.hash))
    finally:
        await database.dispose()


def _short(described: dict[str, Any]) -> dict[str, Any]:
    """A document as the console shows it: without its text."""
    return {key: value for key, value in described.items() if key != "document"}
