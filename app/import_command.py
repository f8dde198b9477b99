"""`contextgraph import-profiles`: the bulk import for operators, straight to the database, showing
its progress in profiles (app/import_progress.py). It streams: memory stays flat whatever the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
from typing import BinaryIO

from contextgraph.app.import_progress import ImportProgress
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
    progress = ImportProgress(sys.stderr, os.path.getsize(args.file), every=args.progress_every, quiet=args.quiet)
    with open(args.file, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=options.encoding, newline="")
        return asyncio.run(_import(settings, text, raw, options, progress))


async def _import(
    settings: Settings, text: io.TextIOWrapper, raw: BinaryIO, options: ImportOptions, shown: ImportProgress
) -> ImportReport:
    database = Database(settings.async_database_url, pool_size=2)
    try:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        await runtime.refresh()
        rows = 0

        def progress(read: int, report: ImportReport) -> None:
            nonlocal rows
            rows = read
            shown.update(read, report, raw.tell())

        ctx = runtime.context(Principal.operator())
        report: ImportReport = await import_profiles(
            ctx, ImportProfiles(description=options, lines=text, progress=progress)
        )
        shown.finish(rows, report)
        return report
    finally:
        await database.dispose()
