"""Where a process finds its data keys: the `encryption_keys` setting (the keys' text, e.g. from a
secret manager) or the key file (`encryption_key_file`; by default `contextgraph.keys` beside the
config file or the SQLite database). Never the database.

With neither, the first need makes a key file (permissions 0600) and logs where. Several processes
may need it at once: the file is written aside and linked into place, so exactly one set of keys
wins and every process reads that one.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from contextgraph.resolvers.encryption.keys import DataKeys

log = logging.getLogger("contextgraph")


class KeySource:
    """The keys of one process; `path` None when they come from the setting's text."""

    def __init__(self, text: str | None, path: str | None) -> None:
        self.text = text
        self.path = Path(path) if path and text is None else None
        self._seen: tuple[int, int] | None = None  # the key file's (mtime, size) when last read
        self._warned: int | None = None  # the too-open mode last warned about

    def describe(self) -> str:
        return f"the key file {self.path}" if self.path is not None else "the encryption_keys setting"

    def load(self) -> DataKeys | None:
        """The keys, or None when there are none yet (no setting, no key file)."""
        if self.text is not None:
            return DataKeys.loads(self.text)
        assert self.path is not None
        try:
            data = self.path.read_bytes()
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ValueError(f"cannot read {self.describe()}: {exc.strerror}") from None
        self._seen = (stat.st_mtime_ns, stat.st_size)
        self._check_mode(stat.st_mode)
        try:
            return DataKeys.loads(data)
        except ValueError as exc:
            raise ValueError(f"{self.describe()}: {exc}") from None

    def exposed(self) -> str | None:
        """What is wrong with the key file's permissions (others may read or change it), if anything."""
        if self.path is None:
            return None
        try:
            mode = self.path.stat().st_mode
        except OSError:
            return None
        if not mode & 0o077:
            return None
        return (
            f"{self.describe()} has permissions {mode & 0o777:04o}: other users may read or change the "
            f"keys; make it readable by the server's user only (chmod 600 {self.path})"
        )

    def _check_mode(self, mode: int) -> None:
        if mode & 0o077 and self._warned != mode:
            self._warned = mode
            log.warning("%s", self.exposed())

    def changed(self) -> bool:
        """Whether the key file changed since it was last read (another process rotated)."""
        if self.path is None:
            return False
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False
        return (stat.st_mtime_ns, stat.st_size) != self._seen

    def create(self) -> DataKeys:
        """New keys in a new key file (0600), or the keys another process wrote there first."""
        if self.path is None:
            raise ValueError("the encryption_keys setting is given: keys are not made by the server")
        keys = DataKeys.generate()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = _write_aside(self.path, keys.dumps())
        except OSError as exc:
            raise ValueError(f"cannot make {self.describe()}: {exc.strerror}") from None
        try:
            os.link(temporary, self.path)  # fails if another process made it first
        except FileExistsError:
            found = self.load()
            assert found is not None
            return found
        finally:
            os.unlink(temporary)
        log.warning(
            "made new encryption keys in %s (permissions 0600): back this file up with the database; "
            "without it the encrypted values cannot be read",
            self.path.resolve(),
        )
        self.load()
        return keys

    def save(self, keys: DataKeys) -> None:
        """Replace the key file at once (a reader sees the old keys or the new ones, never half)."""
        if self.path is None:
            raise ValueError("the keys come from the encryption_keys setting: change the setting instead")
        os.replace(_write_aside(self.path, keys.dumps()), self.path)


def _write_aside(path: Path, text: str) -> str:
    """A file beside `path` holding `text`, readable and writable by its owner only."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return temporary
