"""`contextgraph encryption …`: the keys that encrypt extension attributes marked `encrypt`.

    contextgraph encryption status                  # keys held, keys the database lists, values per key
    contextgraph encryption rotate [--resume]       # a new current key; every value re-encrypted with it
    contextgraph encryption remove-key ID           # an old key, once no value is encrypted with it
    contextgraph encryption export [--output FILE]  # the keys, to back up with the database
    contextgraph encryption import FILE             # restore them (added to the key file)

Keys live in the key file (or the `encryption_keys` setting), never in the database; the database
lists which keys have values (ids and check values). Running servers take a rotated key file within
`refresh_interval`; rotation re-encrypts in batches of one transaction, so it may run beside them,
and `rotate --resume` finishes a rotation that was stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from contextgraph.app.settings import Settings
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.encryption.cipher import key_of
from contextgraph.resolvers.encryption.keys import DataKeys
from contextgraph.resolvers.encryption.registry import INDEX, KeysRefused, ensure_keys, register, registered, verify
from contextgraph.resolvers.reseal import reseal
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.resolvers.store.tables import encryption_key_t, extension_record_t


def add_parser(commands: Any, database_flags: Any) -> None:
    parser = commands.add_parser("encryption", help="rotate, export and import the encryption keys")
    actions = parser.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="the keys held, the keys the database lists, values per key")
    rotate = actions.add_parser("rotate", help="make a new current key and re-encrypt every value with it")
    rotate.add_argument("--resume", action="store_true", help="re-encrypt with the current key, make none")
    rotate.add_argument("--batch-size", type=int, default=500, help="records per transaction (default 500)")
    remove = actions.add_parser("remove-key", help="remove an old key once no value is encrypted with it")
    remove.add_argument("key", help="the key's id (`status` lists them)")
    export = actions.add_parser("export", help="print the keys (or write them to --output, mode 0600)")
    export.add_argument("--output", help="a file to write (refused if it exists)")
    load = actions.add_parser("import", help="add the keys of an exported file to this server's keys")
    load.add_argument("file", help="a file `export` wrote ('-': standard input)")
    for sub in (status, rotate, remove, export, load):
        database_flags(sub)


def run_encryption(settings: Settings, args: argparse.Namespace) -> dict[str, Any] | str:
    """The command's answer: JSON to print, or the keys' own text (export)."""
    return asyncio.run(_run(settings, args))


async def preflight(settings: Settings) -> str | None:
    """Why the server must not start (encrypted values its keys cannot read), or None."""
    database = Database(settings.async_database_url, pool_size=1)
    try:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        async with database.read() as conn:
            known = await registered(conn)
        if not known:
            return None
        try:
            keys = runtime.cipher.source.load()
            if keys is None:
                raise KeysRefused(
                    f"encrypted values exist, but {runtime.cipher.source.describe()} does not exist: restore it "
                    "from your backup (`contextgraph encryption import`), or set encryption_keys"
                )
            verify(keys, known, runtime.cipher.source.describe())
        except (KeysRefused, ValueError) as exc:
            return str(exc)
        return None
    finally:
        await database.dispose()


async def _run(settings: Settings, args: argparse.Namespace) -> Any:
    database = Database(settings.async_database_url, pool_size=1)
    try:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        source = runtime.cipher.source
        if args.action == "import":
            return await _import(runtime, args.file)
        keys = source.load()
        if keys is None:
            raise ValueError(f"there are no encryption keys: {source.describe()} does not exist")
        if args.action == "export":
            return _export(keys, args.output)
        await ensure_keys(database, runtime.cipher, create=False)
        if args.action == "status":
            return await _status(runtime)
        if args.action == "remove-key":
            return await _remove(runtime, args.key)
        return await _rotate(runtime, settings, resume=args.resume, batch=args.batch_size)
    finally:
        await database.dispose()


async def _uses(database: Database) -> dict[str, int]:
    """{key id: encrypted records} (a scan of the records that have encrypted values)."""
    counts: dict[str, int] = {}
    async with database.read() as conn:
        rows = await conn.stream(sa.select(extension_record_t.c.sealed).where(extension_record_t.c.sealed.is_not(None)))
        async for (sealed,) in rows:
            counts[key_of(sealed)] = counts.get(key_of(sealed), 0) + 1
    return counts


async def _status(runtime: Runtime) -> dict[str, Any]:
    keys = runtime.cipher.keys
    assert keys is not None
    async with runtime.db.read() as conn:
        known = await registered(conn)
    warning = runtime.cipher.source.exposed()
    return {
        "source": runtime.cipher.source.describe(),
        "current": keys.current,
        "keys": list(keys.secrets),
        "listed_by_database": sorted(k for k in known if k != INDEX),
        "records_per_key": await _uses(runtime.db),
    } | ({"warning": warning} if warning else {})


async def _rotate(runtime: Runtime, settings: Settings, *, resume: bool, batch: int) -> dict[str, Any] | str:
    cipher, source = runtime.cipher, runtime.cipher.source
    assert cipher.keys is not None
    if not resume:
        keys = cipher.keys.with_new_key()
        if source.path is None:  # the keys are a setting: the operator deploys them first
            print(
                "contextgraph: the keys come from the encryption_keys setting: set it to the keys printed on every "
                "server, then run `contextgraph encryption rotate --resume`",
                file=sys.stderr,
            )
            return keys.dumps()
        async with runtime.db.write() as conn:
            await register(conn, keys)  # before any value is written with it
        source.save(keys)
        cipher.use(keys)
    await runtime.refresh()  # the schemas, with the cipher

    def progress(done: int) -> None:
        print(f"re-encrypted {done} records", file=sys.stderr)

    done = await reseal(runtime.db, runtime.metadata, batch=batch, progress=progress)
    # Servers that had not yet taken the new key file may have written with the old key meanwhile.
    await asyncio.sleep(2 * settings.refresh_interval + 0.5)
    done += await reseal(runtime.db, runtime.metadata, batch=batch)
    assert cipher.keys is not None
    uses = await _uses(runtime.db)
    old = [k for k in cipher.keys.secrets if k != cipher.keys.current]
    async with runtime.db.write() as conn:  # keys without values need not be given to a server any more
        await conn.execute(
            sa.delete(encryption_key_t).where(encryption_key_t.c.id.in_([k for k in old if k not in uses]))
        )
    return {"current": cipher.keys.current, "reencrypted": done, "records_per_key": uses, "old_keys": old}


async def _remove(runtime: Runtime, key_id: str) -> dict[str, Any] | str:
    keys = runtime.cipher.keys
    assert keys is not None
    remaining = keys.without(key_id)  # refuses the current key, or one it does not hold
    uses = (await _uses(runtime.db)).get(key_id, 0)
    if uses:
        raise ValueError(f"{uses} records are still encrypted with key '{key_id}': run `encryption rotate --resume`")
    async with runtime.db.write() as conn:
        await conn.execute(sa.delete(encryption_key_t).where(encryption_key_t.c.id == key_id))
    if runtime.cipher.source.path is None:
        print("contextgraph: set encryption_keys to the keys printed on every server", file=sys.stderr)
        return remaining.dumps()
    runtime.cipher.source.save(remaining)
    return {"removed": key_id, "keys": list(remaining.secrets)}


def _export(keys: DataKeys, output: str | None) -> dict[str, Any] | str:
    if output is None:
        return keys.dumps()
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(keys.dumps())
    return {"exported": list(keys.secrets), "file": output}


async def _import(runtime: Runtime, file: str) -> dict[str, Any]:
    source = runtime.cipher.source
    if source.path is None:
        raise ValueError("the keys come from the encryption_keys setting: set it to the exported keys instead")
    given = DataKeys.loads(sys.stdin.read() if file == "-" else await asyncio.to_thread(Path(file).read_bytes))
    held = source.load()
    keys = held.merged(given) if held is not None else given
    async with runtime.db.read() as conn:
        verify(keys, await registered(conn), f"the keys of {file} with {source.describe()}")
    if held is None:
        source.path.parent.mkdir(parents=True, exist_ok=True)
    source.save(keys)
    return {"imported": list(given.secrets), "current": keys.current, "key_file": str(source.path)}
