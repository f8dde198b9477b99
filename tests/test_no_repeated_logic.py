"""The two surfaces translate; they do not decide. pylint's duplicate-code checker (symilar) over
compat_rest/ and schema/ together finds no block of six or more lines written twice — what both need
lives once, in resolvers/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYMILAR = [
    str(Path(sys.executable).with_name("symilar")),
    "-d",
    "6",
    "--ignore-imports",
    "--ignore-docstrings",
    "--ignore-comments",
    # Two fields taking the same GraphQL arguments declare them; a signature is not logic.
    "--ignore-signatures",
]


def _duplicated_lines(files: list[Path]) -> int:
    done = subprocess.run([*SYMILAR, *map(str, files)], capture_output=True, text=True, timeout=120)
    found = re.search(r"duplicates=(\d+)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    return int(found.group(1))


def test_compat_rest_and_schema_repeat_no_logic() -> None:
    files = sorted([*ROOT.glob("compat_rest/*.py"), *ROOT.glob("schema/*.py")])
    assert len(files) > 20
    assert _duplicated_lines(files) == 0


def test_the_check_finds_a_block_written_twice(tmp_path: Path) -> None:
    """The checker itself works: a translator copied beside itself is found."""
    copy = tmp_path / "copied.py"
    shutil.copy(ROOT / "compat_rest" / "binding.py", copy)
    assert _duplicated_lines([ROOT / "compat_rest" / "binding.py", copy]) > 6
