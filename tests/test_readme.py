"""Every command in the README runs, and every console block shows what the command really prints.

A ```console block holds `$ command` lines, each followed by the output it shows (stdout; stderr is
not shown in the README). The command runs at the repository's root with `qa` and `python` meaning
this interpreter, NO_COLOR set and no terminal. A line `[...]` in the shown output stands for any
number of lines. ```sh blocks are install and test commands: each must be one the README's
install procedure really uses (checked by form: `python3 -m venv`, `pip install`, `pytest`, `qa`).
A ```python block runs as a script at the repository's root and must succeed.

    python tests/test_readme.py --update   # rewrite the console blocks with today's real output
"""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BLOCK = re.compile(r"```(console|sh|python)\n(.*?)```", re.S)
ELLIPSIS = "[...]"


def blocks(text: str) -> list[tuple[str, str, int]]:
    return [(m.group(1), m.group(2), m.start(2)) for m in BLOCK.finditer(text)]


def commands(body: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it) for each `$ ` line of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def run(command: str) -> str:
    exe = shlex.quote(sys.executable)
    command = re.sub(r"(^|\| )qa ", rf"\1{exe} -m qa ", command)
    command = re.sub(r"(^|\| )python ", rf"\1{exe} ", command)
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    proc = subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    return proc.stdout


def matches(shown: list[str], real: list[str]) -> bool:
    """``real`` is ``shown`` where each `[...]` line stands for any run of lines."""
    pattern = "\n".join(".*?" if line == ELLIPSIS else re.escape(line) for line in shown)
    return re.fullmatch(pattern.replace("\n.*?\n", "(?:\n.*?)?\n"), "\n".join(real), re.S) is not None


CONSOLE = [(cmd, shown) for kind, body, _ in blocks(README.read_text()) if kind == "console" for cmd, shown in commands(body)]
SH = [line for kind, body, _ in blocks(README.read_text()) if kind == "sh" for line in body.splitlines() if line.strip()]


@pytest.mark.parametrize("command,shown", CONSOLE, ids=[c[:50] for c, _ in CONSOLE])
def test_console_block_shows_the_real_output(command, shown):
    pytest.importorskip("onnxruntime")  # the README shows the default install, semantic stage included
    real = run(command).rstrip("\n").splitlines()
    while shown and shown[-1] == "":
        shown = shown[:-1]
    assert matches(shown, real), "\n".join(real)


@pytest.mark.parametrize("line", SH)
def test_sh_lines_are_install_or_test_commands(line):
    for step in re.split(r"\s*&&\s*", line.strip()):
        assert re.match(r"(python3? -m (venv|pytest)|\. \.venv/bin/activate|pip install |qa |git clone |cd )", step), step


PYTHON = [body for kind, body, _ in blocks(README.read_text()) if kind == "python"]


@pytest.mark.parametrize("code", PYTHON)
def test_python_block_runs(code):
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_readme_is_short():
    assert len(README.read_bytes()) < 15 * 1024


def update() -> None:
    text = README.read_text()
    out, last = [], 0
    for kind, body, start in blocks(text):
        if kind != "console":
            continue
        new = []
        for command, shown in commands(body):
            real = run(command).rstrip("\n").splitlines()
            keep = shown if matches(shown, real) else real
            new.append("$ " + command)
            new.extend(keep)
        out.append(text[last:start] + "\n".join(new) + "\n")
        last = start + len(body)
    README.write_text("".join(out) + text[last:])


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
