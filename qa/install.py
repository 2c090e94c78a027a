"""How this copy of qa was installed: where its default corpus and index live, and how to add an extra."""
from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# In a clone (or an editable install) the package sits next to pyproject.toml, seeds/ and index/.
CLONE_ROOT = PACKAGE_DIR.parent


def in_clone() -> bool:
    """True when qa runs from a source folder (a clone, or ``pip install -e``), not an installed wheel."""
    return (CLONE_ROOT / "pyproject.toml").is_file() and (CLONE_ROOT / "seeds").is_dir()


def default_corpus() -> Path:
    """The seed corpus: the clone's ``seeds/``, or the copy a wheel carries as ``qa/seeds``."""
    if in_clone():
        return CLONE_ROOT / "seeds"
    return PACKAGE_DIR / "seeds"


def cache_index_for(corpus_dir: Path) -> Path:
    """A folder under the user's cache (XDG_CACHE_HOME or ~/.cache) named after ``corpus_dir``."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(corpus_dir).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return cache / "qa" / f"{corpus_dir.name or 'root'}-{digest}"


def default_index(corpus_dir: Path) -> Path:
    """The seed corpus's index: ``index/`` in a clone where it can be written, else the user's cache.

    An installed package never writes into its own folder (often read-only, and pip uninstall would
    leave the index behind)."""
    clone_index = CLONE_ROOT / "index"
    if in_clone() and _writable(clone_index):
        return clone_index
    return cache_index_for(corpus_dir)


def _writable(folder: Path) -> bool:
    if folder.exists():
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    return os.access(folder.parent, os.W_OK | os.X_OK)


def install_hint(extra: str) -> str:
    """The command that adds ``extra`` (html, pdf, cluster) to this installation: qa is not on PyPI."""
    if in_clone():
        return f"pip install -e {shlex.quote(f'{CLONE_ROOT}[{extra}]')}"
    requirements = _extra_requirements(extra)
    if requirements:
        return "pip install " + " ".join(shlex.quote(r) for r in requirements)
    return f"pip install -e {shlex.quote(f'.[{extra}]')} in qa's source folder"


def _extra_requirements(extra: str) -> list[str]:
    """The requirements the installed qa's metadata lists for ``extra`` (without their markers)."""
    from importlib import metadata
    try:
        declared = metadata.requires("qa") or []
    except metadata.PackageNotFoundError:
        return []
    found = []
    for line in declared:
        requirement, _, marker = line.partition(";")
        if marker.replace(" ", "").replace("'", '"') == f'extra=="{extra}"':
            found.append(requirement.strip())
    return found
