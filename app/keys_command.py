"""`contextgraph keys create|list|revoke`: API keys for operators, straight to the database.

    contextgraph keys create --name desktop --roles UCS.Customer.readProfile,UCS.Service.readService
    contextgraph keys list
    contextgraph keys revoke desktop

`create` prints the secret once; the database keeps only its salted hash. Running servers take a
new or revoked key within `refresh_interval`.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from contextgraph.app.settings import Settings
from contextgraph.resolvers.access import keys
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate


def add_parser(commands: Any, database_flags: Any) -> None:
    parser = commands.add_parser("keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key; its secret is printed once")
    create.add_argument("--name", required=True, help="a name to know the key by (unique)")
    create.add_argument(
        "--roles", required=True, help="comma-separated task names (GET /metadata/roles lists them), or `all`"
    )
    revoke = actions.add_parser("revoke", help="revoke a key by name or id (it stops working at once)")
    revoke.add_argument("key", help="the key's name or id")
    listing = actions.add_parser("list", help="every key: id, name, roles, created, revoked")
    for sub in (create, revoke, listing):
        database_flags(sub)


def run_keys(settings: Settings, args: argparse.Namespace) -> Any:
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> Any:
    database = Database(settings.async_database_url, pool_size=1)
    try:
        await migrate(database)
        if args.action == "list":
            async with database.read() as conn:
                return await keys.list_keys(conn)
        async with database.write() as conn:
            if args.action == "create":
                described, secret = await keys.create_key(conn, name=args.name, roles=keys.parse_roles(args.roles))
                return {**described, "secret": secret}
            return await keys.revoke_key(conn, args.key)
    finally:
        await database.dispose()
