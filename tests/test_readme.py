"""Every command in README.md is run, and every shown output compared with the real one, so the README cannot drift.

How the README's blocks are checked (a block added later is covered automatically):
- ```console: each `$ ` line is run with bash in a private copy of the repository (its own seeds and index);
  the lines after it, up to the next `$ ` line, must equal what the command prints (stdout and stderr, as on a
  terminal 80 columns wide; the index is built beforehand). Normalisation: trailing spaces
  and trailing blank lines are ignored, and a line that is only `[...]` (indented or not) stands for any
  number of lines.
- ```sh: each command (split on `&&`, comments dropped) is run the same way, and must exit 0; `python3 -m venv`,
  `. .venv/bin/activate` and `pip install` are checked for their known form rather than executed (the suite's own
  install is what CI does), `pytest` is not run from inside the suite, and a `python benchmarks/X.py` line must
  name an existing script.
- ```json: must parse, and have exactly the keys of the real `qa ask --json` object.
- ```python: is run (as a script in the repository copy) and must exit 0.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
ELISION = "[...]"


def blocks(kind: str) -> list[str]:
    """The bodies of the README's fenced blocks of one language."""
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8")) if lang == kind]


def console_sessions() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every `$ ` line of every console block."""
    sessions = []
    for body in blocks("console"):
        for line in body.splitlines():
            if line.startswith("$ "):
                sessions.append((line[2:], []))
            elif sessions:
                sessions[-1][1].append(line)
    return sessions


def sh_commands() -> list[str]:
    """Every command of the sh blocks, split on `&&`, without comments."""
    commands = []
    for body in blocks("sh"):
        for line in body.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                commands += [part.strip() for part in line.split("&&")]
    return commands


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """A private copy of the code and seeds with a `qa` command on PATH, so the README's commands touch nothing."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("qa", "seeds", "benchmarks"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "out"))
    for name in ("repl.py", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for name, call in (("qa", "-m qa "), ("python", "")):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" {call}"$@"\n')
        (bin_dir / name).chmod(0o755)
    assert run_shell("qa index", root).returncode == 0  # built before, as for a user: no "indexing" note below
    return root


def run_shell(command: str, root: Path, merged: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(PATH=f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(root),
               XDG_CACHE_HOME=str(root / "cache"), XDG_STATE_HOME=str(root / "state"), COLUMNS="80")
    return subprocess.run(["bash", "-c", command], stdout=subprocess.PIPE, text=True, cwd=root, env=env, timeout=120,
                          stderr=subprocess.STDOUT if merged else subprocess.PIPE)


def matches(shown: list[str], real: list[str]) -> bool:
    """Whether the real lines are the shown ones, a `[...]` line standing for any run of lines."""
    if not shown:
        return not real
    if shown[0].strip() == ELISION:
        return any(matches(shown[1:], real[i:]) for i in range(len(real) + 1))
    return bool(real) and real[0] == shown[0] and matches(shown[1:], real[1:])


def trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def test_readme_is_short():
    assert README.stat().st_size < 15 * 1024, "issue #15: the README stays under 15 KB; move details to docs/"


def test_readme_has_console_blocks():
    assert len(console_sessions()) >= 3


@pytest.mark.parametrize("command,shown", console_sessions(), ids=lambda v: v[:60] if isinstance(v, str) else "")
def test_console_block_output_is_real(command, shown, repo_copy):
    result = run_shell(command, repo_copy, merged=True)
    assert result.returncode in (0, 1), result.stdout
    real = trimmed(result.stdout.splitlines())
    assert matches(trimmed(shown), real), "\n".join(["README shows:", *shown, "real output:", *real])


def check_install_form(command: str) -> None:
    extras = set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"].get("optional-dependencies", {}))
    if command.startswith("python3 -m venv"):
        assert command == "python3 -m venv .venv"
    elif command.startswith(". "):
        assert command == ". .venv/bin/activate"
    else:
        match = re.fullmatch(r"pip install -e (?:\.|'\.\[([\w,]+)\]')", command)
        assert match, command
        assert set(filter(None, (match.group(1) or "").split(","))) <= extras, command


@pytest.mark.parametrize("command", sh_commands())
def test_sh_command_runs(command, repo_copy):
    if command.startswith(("python3 -m venv", ". ", "pip install")):
        check_install_form(command)
    elif command.startswith("pytest"):
        assert (REPO / "tests").is_dir()
    elif command.startswith("python benchmarks/"):
        assert (REPO / command.split()[1]).is_file(), command
    else:
        result = run_shell(command, repo_copy)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()


def test_json_block_has_the_real_keys(repo_copy):
    result = run_shell('qa ask --json "When did Russia annex Crimea?"', repo_copy)
    real = json.loads(result.stdout.splitlines()[0])
    for body in blocks("json"):
        shown = json.loads(body)
        assert set(shown) == set(real)
        assert set(shown["answer"]) <= set(real["answer"])
        assert set(shown["results"][0]) == set(real["results"][0])


@pytest.mark.parametrize("body", blocks("python"))
def test_python_block_runs(body, repo_copy):
    result = run_shell(f"python - <<'PYTHON'\n{body}PYTHON", repo_copy)
    assert result.returncode == 0, result.stderr
