"""The distribution: the layers at the top of the repository install under one import name,
`contextgraph`, with every module and asset, and nothing else (no top-level `app` or `schema`)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("app", "schema", "resolvers", "compat_rest")


def test_the_wheel_holds_every_module_under_contextgraph(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("contextgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"contextgraph/{path.relative_to(ROOT)}"
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected <= names, sorted(expected - names)
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"contextgraph", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "contextgraph/app/ui/static/vendor/graphiql.min.js" in names
    assert "contextgraph/resolvers/store/migrations/script.py.mako" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "contextgraph = contextgraph.app.cli:main" in entry_points
