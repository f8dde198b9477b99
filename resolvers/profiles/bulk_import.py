"""Bulk Profile Import: CSV (RFC 4180) rows become profiles, streamed, committed every `batch-size`.

Columns: `Attr` (a profile attribute), `Attr[n]` (its n-th value: multi-valued, primary first) and
`Ext.attr` (an attribute of a profile extension). Empty fields are absent. A row that fails its
checks is reported in `errors` with its index (0 for the first row after the header); with an
`id-key`, a row that identifies one existing customer is skipped and one that identifies several is
reported in `ambiguous`. Memory stays flat: one batch of rows is held at a time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BeforeValidator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from contextgraph.resolvers.bounds import check_text
from contextgraph.resolvers.context import Context
from contextgraph.resolvers.errors import BadParameter, Conflict, ContextError, Forbidden
from contextgraph.resolvers.extensions.values import Checked, check_extensions, write_extensions
from contextgraph.resolvers.ids import new_customer_id
from contextgraph.resolvers.operation import Input, operation
from contextgraph.resolvers.profiles.identification import identify_ids, profile_field, reindex
from contextgraph.resolvers.profiles.import_options import ImportOptions, check_id_key, parse_options
from contextgraph.resolvers.store.reader import InTransaction
from contextgraph.resolvers.store.tables import customer_t
from contextgraph.resolvers.timefmt import now_ms
from contextgraph.resolvers.values import flag

_POSITION = re.compile(r"(.+)\[(\d+)\]")


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "ambiguous": self.ambiguous,
            "imported": self.imported,
            "skipped": self.skipped,
            "stopped": self.stopped,
        }


# -- rows -------------------------------------------------------------------------------------
@dataclass
class _Column:
    name: str
    extension: str | None
    type: str
    position: int | None = None


@dataclass
class _Row:
    index: int
    attributes: dict[str, Any]
    extensions: Checked
    given: dict[str, str]  # the row's values as identify parameters (`Attr`, `Ext.attr`)


def _columns(ctx: Context, header: list[str]) -> list[_Column]:
    columns = []
    for raw in header:
        name = check_text("the CSV header", raw).strip()
        match = _POSITION.fullmatch(name)
        field = profile_field(ctx, match.group(1) if match else name)
        if match and field.extension is not None:
            raise BadParameter(name, "positions ([n]) are for profile attributes only")
        columns.append(_Column(field.attribute, field.extension, field.type, int(match.group(2)) if match else None))
    return columns


def _typed(kind: str, text: str) -> Any:
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("double", "currency"):
        return float(text)
    if kind == "boolean":
        try:
            return flag(kind, text)
        except BadParameter:
            raise ValueError(text) from None
    return text


def _row(ctx: Context, index: int, columns: list[_Column], fields: list[str]) -> _Row:
    if len(fields) != len(columns):
        raise BadParameter("Importing profile", "number of profile attributes cannot be different than declared")
    body: dict[str, Any] = {}
    positions: dict[str, list[tuple[int, str]]] = {}
    extensions: dict[str, dict[str, Any]] = {}
    given: dict[str, str] = {}
    for column, text in zip(columns, fields, strict=True):
        if text == "":
            continue
        check_text(column.name, text)  # PostgreSQL cannot store it, SQLite could: refused on both
        if column.extension is not None:
            try:
                extensions.setdefault(column.extension, {})[column.name] = _typed(column.type, text)
            except ValueError:
                reason = f"\"{text}\" is an invalid value for type '{column.type}'"
                raise BadParameter("Invalid value", reason) from None
            given.setdefault(f"{column.extension}.{column.name}", text)
        elif column.position is not None:
            positions.setdefault(column.name, []).append((column.position, text))
        else:
            body[column.name] = text
    for name, values in positions.items():
        body[name] = [v for _, v in sorted(values)] + ([body[name]] if name in body else [])
    attributes, unknown = ctx.profile_schema.split(body)
    assert not unknown
    for name, value in attributes.items():  # an identify parameter takes the primary value
        given[name] = value[0] if isinstance(value, list) else value
    records = {
        name: ([record] if (s := ctx.metadata.get("profile", name)) and s.multi else record)
        for name, record in extensions.items()
    }
    return _Row(index, attributes, check_extensions(ctx, "profile", records), given)


# -- writing ----------------------------------------------------------------------------------
async def _write(
    ctx: Context, conn: AsyncConnection, rows: list[_Row], options: ImportOptions, report: ImportReport
) -> None:
    created = []
    for row in rows:
        if options.id_key is not None:
            try:
                matches = await identify_ids(ctx, InTransaction(conn), row.given, options.id_key)
            except BadParameter:
                matches = []  # the row lacks the key's attributes: nothing to compare with
            if len(matches) == 1:
                report.skipped += 1
                continue
            if matches:
                report.ambiguous.append(
                    {
                        "index": row.index,
                        "reason": f"Some customer(s) are already matching this profile : {', '.join(matches)}",
                    }
                )
                continue
        created.append((new_customer_id(), row))
    if not created:
        return
    stamp = now_ms()
    await conn.execute(
        sa.insert(customer_t), [{"id": cid, "attributes": row.attributes, "created_ms": stamp} for cid, row in created]
    )
    for cid, row in created:
        if row.extensions:
            await write_extensions(conn, cid, row.extensions)
    await reindex(ctx, conn, [cid for cid, _ in created], new=True)
    report.imported += len(created)


async def _commit(ctx: Context, rows: list[_Row], options: ImportOptions, report: ImportReport) -> None:
    """One transaction for the batch; if a unique key refuses it, each row alone to find which."""
    try:
        async with ctx.db.write() as conn:
            batch = ImportReport()
            await _write(ctx, conn, rows, options, batch)
    except (Conflict, IntegrityError):
        for row in rows:
            try:
                async with ctx.db.write() as conn:
                    batch = ImportReport()
                    await _write(ctx, conn, [row], options, batch)
            except (Conflict, IntegrityError) as exc:
                report.errors.append({"index": row.index, "reason": getattr(exc, "description", "duplicate value")})
                continue
            _add(report, batch)
        return
    _add(report, batch)


def _add(report: ImportReport, batch: ImportReport) -> None:
    report.imported += batch.imported
    report.skipped += batch.skipped
    report.ambiguous += batch.ambiguous


async def import_rows(
    ctx: Context,
    lines: Iterable[str],
    options: ImportOptions,
    progress: Callable[[int, ImportReport], None] | None = None,
) -> ImportReport:
    """Import CSV text lines (a header, then one profile per record)."""
    reader = csv.reader(lines, delimiter=options.delimiter, strict=True)
    report = ImportReport()
    try:
        header = next(reader)
    except StopIteration:
        raise BadParameter("profiles", "the CSV file is empty") from None
    except csv.Error as exc:
        raise BadParameter("profiles", f"the CSV header cannot be read: {exc}") from None
    columns = _columns(ctx, header)
    batch: list[_Row] = []
    index = -1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a broken record: report it, go on with the next line
            index += 1
            report.errors.append({"index": index, "reason": f"malformed CSV record: {exc}"})
            fields = None
        else:
            index += 1
        if fields is not None and index >= options.start_from_index:
            try:
                batch.append(_row(ctx, index, columns, fields))
            except ContextError as exc:
                report.errors.append({"index": index, "reason": exc.description})
        if options.max_errors is not None and len(report.errors) > options.max_errors:
            report.stopped = True
            break
        if len(batch) >= options.batch_size:
            await _commit(ctx, batch, options, report)
            batch = []
            if progress is not None:
                progress(index + 1, report)
    if batch:  # the valid rows read before the end (or before max-errors stopped the load)
        await _commit(ctx, batch, options, report)
    if progress is not None:
        progress(index + 1, report)
    return report


def server_file(ctx: Context, path: str) -> Path:
    """A server-side CSV named in the description: only inside the configured import directory."""
    root = ctx.settings.import_dir
    if root is None:
        raise BadParameter("profiles", "server-side files are not enabled; upload the CSV as the part 'profiles'")
    base = Path(root).resolve()
    target = (base / path).resolve()
    if base != target and base not in target.parents:
        raise BadParameter("profiles", "the file must be inside the import directory")
    if not target.is_file():
        raise BadParameter("profiles", f"no file '{path}' in the import directory")
    return target


class ImportProfiles(Input):
    """A Bulk Profile Import: its `description` (the documented JSON part), and the CSV's lines
    (an upload); without lines, the description names a server-side file (`profiles`)."""

    description: Annotated[Any, BeforeValidator(parse_options)]
    lines: Any = None  # an iterable of CSV text lines
    progress: Any = None  # called with the rows read so far and the report, after each batch (the CLI's)


@operation(
    "importProfiles", tasks=("UCS.Customer.executeBulkImport", "UCS.Customer.createProfile"), input=ImportProfiles
)
async def import_profiles(ctx: Context, input: ImportProfiles) -> ImportReport:
    """Bulk-import profiles from a CSV file. Over HTTP the server must be in maintenance mode, as
    documented; the operator's command line may load a database whatever its mode."""
    options: ImportOptions = input.description
    async with ctx.metadata_write():
        if not ctx.principal.is_operator and await ctx.server.mode() != "maintenance":
            raise Forbidden("bulk profile import runs only in maintenance mode")
        check_id_key(ctx, options)
        try:
            if input.lines is not None:
                return await import_rows(ctx, input.lines, options, input.progress)
            if options.path is None:
                raise BadParameter("profiles", "upload the CSV as the part 'profiles'")
            # Read line by line between batches, like a spooled upload.
            with open(server_file(ctx, options.path), encoding=options.encoding, newline="") as local:  # noqa: ASYNC230
                return await import_rows(ctx, local, options, input.progress)
        except UnicodeError as exc:  # a decoding error, or "UTF-16 stream does not start with BOM"
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise BadParameter("encoding", f"the file is not {options.encoding}: {reason}") from None
