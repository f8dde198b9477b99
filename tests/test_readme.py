"""The README's examples, run as a newcomer pastes them: every ```console block, in order, in one bash
session (so `CUSTOMER=…` set early is there later), against a real server started the way the README
says (`CONTEXTGRAPH_BOOTSTRAP_KEY=choose-a-long-secret`, the default SQLite file), and every ```graphql
block through /graphql with the session's variables. Each command's output must show what the README
shows: its lines in order, `…` standing for anything (ids, times). ```sh blocks start things (servers,
PostgreSQL) and are not run.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECRET = "choose-a-long-secret"


@dataclass
class Command:
    text: str
    expected: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Block:
    kind: str  # "console" or "graphql"
    line: int
    commands: list[Command] = field(default_factory=list)
    text: str = ""


def _complete(text: str) -> bool:
    """Whether bash would run `text` as it stands (no open quote, no trailing backslash)."""
    if text.endswith("\\"):
        return False
    return bash_syntax_ok(text)


def bash_syntax_ok(text: str) -> bool:
    return subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True).returncode == 0


def blocks(markdown: str) -> list[Block]:
    found: list[Block] = []
    lines = markdown.splitlines()
    n = 0
    while n < len(lines):
        opening = re.fullmatch(r"```(console|graphql)\s*", lines[n])
        if not opening:
            n += 1
            continue
        block = Block(opening.group(1), n + 1)
        n += 1
        body: list[str] = []
        while not lines[n].startswith("```"):
            body.append(lines[n])
            n += 1
        n += 1
        if block.kind == "graphql":
            block.text = "\n".join(body)
        else:
            current: Command | None = None
            pending = ""
            for offset, text in enumerate(body):
                if pending:
                    pending += "\n" + text
                    if _complete(pending):
                        assert current is not None
                        current.text, pending = pending, ""
                    continue
                if text.startswith("$ "):
                    current = Command("", line=block.line + offset + 1)
                    block.commands.append(current)
                    pending = text[2:]
                    if _complete(pending):
                        current.text, pending = pending, ""
                elif current is not None and text.strip():
                    current.expected.append(text)
            assert not pending, f"README line {block.line}: a command never ends: {pending!r}"
        found.append(block)
    return found


def _pattern(expected: list[str]) -> re.Pattern[str]:
    """The shown lines in order, anything between them; `…` inside a line is anything too."""
    parts = []
    for line in expected:
        shown = re.sub(r"\s+#.*$", "", line.strip()) if "  #" in line else line.strip()  # a comment
        pieces = [re.escape(" ".join(piece.split())) for piece in shown.split("…")]
        parts.append(".*?".join(pieces))
    return re.compile(".*?".join(parts), re.S)


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def server(serve, tmp_path: Path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    port = free_port()
    database = f"sqlite:///{tmp_path / 'contextgraph.db'}"
    process = serve("--port", str(port), "--database", database, env={"CONTEXTGRAPH_BOOTSTRAP_KEY": SECRET})
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return url, database


def test_the_readme_examples_run_as_written(server: tuple[str, str], tmp_path: Path) -> None:
    url, database = server
    port = url.rsplit(":", 1)[1]
    found = blocks(README.read_text())
    assert sum(len(b.commands) for b in found) >= 20
    assert any(b.kind == "graphql" for b in found)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CONTEXTGRAPH_DATABASE": database,  # what `make run` serves: the CLI examples reach the same data
    }
    shell = subprocess.Popen(
        ["bash", "--noprofile", "--norc"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert shell.stdin is not None
    assert shell.stdout is not None
    try:
        for block in found:
            if block.kind == "graphql":
                _run_graphql(block, url, shell)
                continue
            for command in block.commands:
                output = _run(shell, command.text.replace("localhost:8080", f"localhost:{port}"))
                if command.expected:
                    shown = [line.replace("localhost:8080", f"localhost:{port}") for line in command.expected]
                    assert _pattern(shown).search(_normal(output)), (
                        f"README line {command.line}: `{command.text}` printed\n{output}\n"
                        f"but the README shows\n" + "\n".join(command.expected)
                    )
    finally:
        shell.kill()
        shell.wait()
        shell.stdin.close()
        shell.stdout.close()


_END = "__readme_command_done__"


def _run(shell: subprocess.Popen[str], command: str) -> str:
    assert shell.stdin is not None
    assert shell.stdout is not None
    shell.stdin.write(f"{command}\necho; echo {_END} $?\n")
    shell.stdin.flush()
    lines = []
    while True:
        line = shell.stdout.readline()
        assert line, f"the shell ended during `{command}`:\n{''.join(lines)}"
        if line.startswith(_END):
            status = int(line.split()[1])
            assert status == 0, f"`{command}` exited {status}:\n{''.join(lines)}"
            return "".join(lines)
        lines.append(line)


def _run_graphql(block: Block, url: str, shell: subprocess.Popen[str]) -> None:
    """A GraphQL example as GraphiQL runs it: its `$name` variables from the session's NAME."""
    names = re.findall(r"\$(\w+)\s*:", block.text)
    variables = {}
    for name in names:
        value = _run(shell, f'printf "%s" "${{{_shell_name(name)}}}"').strip()
        assert value, f"README line {block.line}: ${name} is not set by the examples before it"
        variables[name] = value
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": block.text, "variables": variables},
        headers={"Authorization": f"Bearer {SECRET}"},
        timeout=30,
    ).json()
    assert "errors" not in answer, f"README line {block.line}: {json.dumps(answer)}"
    assert answer.get("data"), f"README line {block.line}: {json.dumps(answer)}"


def _shell_name(variable: str) -> str:
    """`$customerId` in GraphQL is CUSTOMER_ID in the shell examples."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", variable).upper()
