"""`make bench` runs scripts the rest of the suite does not import: a small run of each here keeps
them working through the code's moves (a renamed module or constructor fails here, not an hour
into a benchmark run).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, script: str, *args: str) -> dict[str, object]:
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, object] = json.loads(out.read_text())
    return loaded


def test_the_import_benchmark_imports_its_rows_on_both_databases(tmp_path: Path) -> None:
    results = _run(tmp_path, "import_profiles.py", "--rows", "300")["import_profiles"]
    assert isinstance(results, list)
    assert sorted((r["database"], r["rows"]) for r in results) == [("postgresql", 300), ("sqlite", 300)]


def test_the_subscription_benchmark_delivers_its_events(tmp_path: Path) -> None:
    results = _run(tmp_path, "subscriptions.py", "--events", "5")
    assert results, "no figures"


def test_the_tree_benchmark_modules_import() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import bench.tree, bench.floor, bench.dataset"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
