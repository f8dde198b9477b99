"""`contextgraph import-profiles`: the bulk import for operators, straight to the database, with a
progress bar over the file's bytes. It streams: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
from typing import BinaryIO

from tqdm import tqdm

from contextgraph.app.settings import Settings
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.profiles.bulk_import import ImportProfiles, ImportReport, import_profiles
from contextgraph.resolvers.profiles.import_options import ImportOptions, parse_options
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate


def run_import(settings: Settings, args: argparse.Namespace) -> ImportReport:
    flags = {  # the flags in the description's words: checked by the same rules as over HTTP
        "format": "csv",
        "delimiter": args.delimiter,
        "encoding": args.encoding,
        "batch-size": args.batch_size,
        "max-errors": args.max_errors,
        "start-from-index": args.start_from_index,
        "id-key": args.id_key,
    }
    options = parse_options(flags)
    size = os.path.getsize(args.file)
    with (
        open(args.file, "rb") as raw,
        tqdm(
            total=size, unit="B", unit_scale=True, desc="profiles", disable=args.quiet or None, file=sys.stderr
        ) as bar,
    ):
        text = io.TextIOWrapper(raw, encoding=options.encoding, newline="")
        return asyncio.run(_import(settings, text, raw, options, bar))


async def _import(
    settings: Settings, text: io.TextIOWrapper, raw: BinaryIO, options: ImportOptions, bar: tqdm
) -> ImportReport:  # type: ignore[type-arg]
    database = Database(settings.async_database_url, pool_size=2)
    try:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        await runtime.refresh()

        def progress(_records: int) -> None:
            bar.update(raw.tell() - bar.n)

        ctx = runtime.context(Principal.operator())
        report: ImportReport = await import_profiles(
            ctx, ImportProfiles(description=options, lines=text, progress=progress)
        )
        return report
    finally:
        await database.dispose()
