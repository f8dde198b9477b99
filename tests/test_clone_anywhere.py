"""The README's commands from any clone: `make run` installs what serving needs and nothing more, and
the tests' throwaway PostgreSQL starts wherever the clone lives (root's 0700 home included)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_run_installs_the_server_without_the_development_tools() -> None:
    planned = subprocess.run(["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True, check=True)
    installs = [line for line in planned.stdout.splitlines() if "pip install" in line and "-e" in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e ."], planned.stdout
    assert "contextgraph serve" in planned.stdout


def test_with_postgres_starts_from_a_clone_its_server_user_cannot_enter(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "clone" / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "with-postgres.sh", home / "clone" / "scripts")
    home.chmod(0o700)
    probe = 'test -n "$CONTEXTGRAPH_TEST_POSTGRES" && /usr/lib/postgresql/15/bin/pg_isready -d "$CONTEXTGRAPH_TEST_POSTGRES"'
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_TEST_")}
    done = subprocess.run(
        [str(home / "clone" / "scripts" / "with-postgres.sh"), "sh", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepting connections" in done.stdout
    assert not any((home / "clone").glob(".pgtest*")), "nothing is left in the clone"
