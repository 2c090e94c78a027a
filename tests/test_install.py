"""A built wheel installed into a fresh virtual environment answers from any folder, its index in the user's cache."""
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO

SOURCE_FILES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"]


def _run(args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, its site-packages/qa) with qa installed from a wheel built from a copy of this tree."""
    pytest.importorskip("wheel", reason="building a wheel with this setuptools needs the wheel package (qa[test])")
    root = tmp_path_factory.mktemp("install")
    source = root / "src"
    source.mkdir()
    for name in SOURCE_FILES:
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "qa", source / "qa", ignore=shutil.ignore_patterns("__pycache__", "seeds"))
    shutil.copytree(REPO / "seeds", source / "seeds")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                  "-w", root / "wheel", source])
    assert built.returncode == 0, built.stderr
    wheel = next((root / "wheel").glob("qa-*.whl"))

    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    # the dependencies (numpy, scikit-learn, ...) come from this environment, not from the network
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel])
    assert done.returncode == 0, done.stderr
    return venv, site / "qa"


def _qa(venv, *args, cwd, cache):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")}
    env.update(XDG_CACHE_HOME=str(cache), HOME=str(cache.parent))
    return _run([venv / "bin" / "qa", *args], cwd=cwd, env=env)


def _writable_files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_the_wheel_carries_the_seeds_and_answers_from_another_folder(installed, tmp_path):
    venv, package = installed
    assert sorted(p.name for p in (package / "seeds").iterdir()) == sorted(p.name for p in (REPO / "seeds").iterdir())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache = tmp_path / "home" / "cache"
    result = _qa(venv, "ask", "--json", "Who speaks for the Kremlin?", cwd=elsewhere, cache=cache)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "Peskov" in answer["answer"]["text"]
    assert answer["answer"]["source"] in {p.name for p in (REPO / "seeds").iterdir()}
    # the index went to the user's cache, not to the package or the current folder
    manifests = list(cache.glob("qa/seeds-*/manifest.json"))
    assert len(manifests) == 1
    assert json.loads(manifests[0].read_text())["corpus"] == str((package / "seeds").resolve())
    assert list(elsewhere.iterdir()) == []
    assert not (package / "index").exists()


def test_a_read_only_package_folder_still_answers_from_the_cache(installed, tmp_path):
    venv, package = installed
    before = _writable_files(package)
    modes = {p: p.stat().st_mode for p in [package, *package.rglob("*")]}
    try:
        for path in modes:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        cache = tmp_path / "home" / "cache"
        result = _qa(venv, "ask", "What did Peskov say about Qatar?", cwd=tmp_path, cache=cache)
        assert result.returncode == 0, result.stderr
        assert "Qatar" in result.stdout
        assert len(list(cache.glob("qa/seeds-*/manifest.json"))) == 1
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))
    assert _writable_files(package) == before


def test_install_hints_name_a_command_that_works_for_a_wheel(installed, tmp_path):
    venv, _ = installed
    code = "from qa.install import install_hint; print(install_hint('html')); print(install_hint('pdf'))"
    result = _run([venv / "bin" / "python", "-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # qa is not on PyPI: a wheel's hint installs the extra's own packages, by name
    assert result.stdout.splitlines() == ["pip install 'trafilatura>=1.8' 'lxml-html-clean>=0.1'", "pip install 'pypdf>=4'"]


def test_version_of_the_installed_command(installed, tmp_path):
    venv, _ = installed
    result = _qa(venv, "--version", cwd=tmp_path, cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "qa 0.1.0"
