"""Damaged, foreign and hostile index folders: damage is detected (sizes, CRC-32s, a checked manifest),
reported in one line and rebuilt from the corpus; an index of an unknown format or of another corpus
is refused, never misread or overwritten; nothing in an index folder is ever run or followed outside it.
"""
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import qa
from qa import storage
from conftest import REPO, SEEDS, json_lines, run_qa

QUESTION = "Who is the Kremlin spokesman?"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """(index folder, its top 5 on the default semantic path, its top 5 with the stage off)."""
    folder = tmp_path_factory.mktemp("pristine") / "idx"
    idx = qa.build_index(SEEDS, folder, warn=lambda m: None)
    lexical = qa.open_index(SEEDS, folder, update=False, semantic=False)
    return folder, [r.to_dict() for r in idx.ask(QUESTION, 5).results], [r.to_dict() for r in lexical.ask(QUESTION, 5).results]


@pytest.fixture
def index_copy(pristine, tmp_path):
    folder = tmp_path / "idx"
    shutil.copytree(pristine[0], folder)
    return folder


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def save_manifest(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest))


def first_array(folder: Path, name: str = "docs") -> Path:
    seg = manifest_of(folder)["segments"][0]
    return folder / seg["name"] / seg["arrays"][name]["file"]


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def set_manifest(**changes):
    def damage(folder):
        m = manifest_of(folder)
        m.update(changes)
        save_manifest(folder, m)
    return damage


def set_segment(**changes):
    def damage(folder):
        m = manifest_of(folder)
        m["segments"][0].update(changes)
        save_manifest(folder, m)
    return damage


def set_array_meta(**changes):
    def damage(folder):
        m = manifest_of(folder)
        m["segments"][0]["arrays"]["docs"].update(changes)
        save_manifest(folder, m)
    return damage


DAMAGE = {
    "truncated array": (lambda f: os.truncate(first_array(f), 100), "wrong size"),
    "array cut to nothing": (lambda f: os.truncate(first_array(f), 0), "wrong size"),
    "flipped byte in the data": (lambda f: flip(first_array(f), first_array(f).stat().st_size // 2), "checksum"),
    "flipped byte in the .npy header": (lambda f: flip(first_array(f), 20), "checksum"),
    "missing array file": (lambda f: first_array(f).unlink(), "unreadable"),
    "missing segment folder": (lambda f: shutil.rmtree(first_array(f).parent), "unreadable"),
    "array replaced by a folder": (lambda f: (first_array(f).unlink(), first_array(f).mkdir()), "index file"),
    "empty manifest": (lambda f: (f / "manifest.json").write_bytes(b""), "manifest"),
    "truncated manifest": (lambda f: (f / "manifest.json").write_bytes((f / "manifest.json").read_bytes()[:200]),
                           "manifest"),
    "manifest of binary junk": (lambda f: (f / "manifest.json").write_bytes(os.urandom(300)), "manifest"),
    "manifest that is a JSON list": (lambda f: (f / "manifest.json").write_text("[1, 2, 3]"), "manifest"),
    "manifest without format": (lambda f: (f / "manifest.json").write_text('{"segments": []}'), "manifest"),
    "segments not a list": (set_manifest(segments="oops"), "manifest"),
    "file table not a table": (set_manifest(files=[1, 2]), "manifest"),
    "huge hash_bits": (set_manifest(hash_bits=10 ** 9), "manifest"),
    "segment without arrays": (set_segment(arrays={}), "manifest"),
    "passage count a string": (set_segment(passages="many"), "manifest"),
    "array size a string": (set_array_meta(bytes="12"), "manifest"),
    "an old format": (set_manifest(format=0), "old format"),
}


# damage to the lexical arrays and the manifest is checked with the semantic stage off (a rebuild with it on
# embeds every passage again); these cases also run on the default path
ON_THE_SEMANTIC_PATH = {"flipped byte in the data", "missing segment folder", "manifest of binary junk"}


@pytest.mark.parametrize("semantic, case", [(False, case) for case in DAMAGE]
                         + [(None, case) for case in sorted(ON_THE_SEMANTIC_PATH)])
def test_damage_is_reported_in_one_message_and_rebuilt(pristine, index_copy, case, semantic):
    damage, words = DAMAGE[case]
    damage(index_copy)
    messages = []
    idx = qa.open_index(SEEDS, index_copy, warn=messages.append, semantic=semantic)
    assert len(messages) == 1 and words in messages[0] and messages[0].endswith("rebuilding the index"), messages
    assert "\n" not in messages[0]
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == pristine[1 if semantic is None else 2]
    # the rebuilt index is whole: it opens without update and passes its checksums
    qa.open_index(SEEDS, index_copy, update=False, warn=messages.append, semantic=semantic)
    assert len(messages) == 1


@pytest.mark.parametrize("case", ["truncated array", "flipped byte in the data", "manifest of binary junk"])
def test_damage_without_update_raises_instead_of_misreading(index_copy, case):
    DAMAGE[case][0](index_copy)
    with pytest.raises(storage.IndexDamaged):
        qa.open_index(SEEDS, index_copy, update=False, warn=lambda m: None)


def test_damage_through_the_cli_is_one_line_on_stderr_and_answered(pristine, index_copy):
    flip(first_array(index_copy, "terms_low"), 999)
    r = run_qa("ask", "--json", "-k", 5, "--corpus", SEEDS, "--index", index_copy, QUESTION)
    assert r.returncode == 0
    [line] = r.stderr.splitlines()
    assert re.fullmatch(r"qa: index file .*terms_low.*\.npy fails its checksum; rebuilding the index", line), line
    assert json_lines(r.stdout)[0]["results"] == pristine[1]


def test_qa_index_over_a_damaged_index_rebuilds_it(index_copy):
    shutil.rmtree(first_array(index_copy).parent)
    (index_copy / "manifest.json").write_bytes(b"\x00garbage")
    r = run_qa("index", "--corpus", SEEDS, "--index", index_copy)
    assert r.returncode == 0 and r.stderr == ""
    qa.open_index(SEEDS, index_copy, update=False)


# ---------------------------------------------------------------- refused, not misread


@pytest.mark.parametrize("version", [storage.FORMAT + 1, 99, str(storage.FORMAT), storage.FORMAT + 0.5, True, None])
def test_index_from_an_unknown_format_is_refused_and_left_alone(index_copy, version):
    m = manifest_of(index_copy)
    m["format"] = version
    m["segments"] = {"a layout": "this qa cannot read"}
    save_manifest(index_copy, m)
    before = (index_copy / "manifest.json").read_bytes()
    r = run_qa("ask", "--corpus", SEEDS, "--index", index_copy, QUESTION)
    assert r.returncode == 2 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert "written by a newer qa" in line and "rebuild with 'qa index'" in line
    assert (index_copy / "manifest.json").read_bytes() == before
    if version == 99:  # as the message says, `qa index` replaces it
        assert run_qa("index", "--corpus", SEEDS, "--index", index_copy).returncode == 0
        qa.open_index(SEEDS, index_copy, update=False)


def test_index_of_another_corpus_is_refused_and_left_alone(index_copy, seeds_copy):
    before = (index_copy / "manifest.json").read_bytes()
    r = run_qa("ask", "--corpus", seeds_copy, "--index", index_copy, QUESTION)
    assert r.returncode == 2 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert f"belongs to the corpus {SEEDS}" in line and "qa index --corpus" in line
    assert (index_copy / "manifest.json").read_bytes() == before


@pytest.mark.parametrize("command", [["index"], ["ask", "Peskov"], ["sources"]])
def test_index_folder_that_cannot_be_created_parent_is_a_file(tmp_path, command):
    # as root a read-only folder is still writable; a path under a regular file cannot be created by anyone
    (tmp_path / "file").write_text("x")
    r = run_qa(*command, "--corpus", SEEDS, "--index", tmp_path / "file" / "idx")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [f"qa: cannot create the index folder {tmp_path / 'file' / 'idx'}: "
                                     f"{tmp_path / 'file'} is not a folder"]


def test_index_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    r = run_qa("ask", "--corpus", SEEDS, "--index", tmp_path / "file", "Peskov")
    assert r.returncode == 2 and r.stderr.splitlines() == [f"qa: index path is not a folder: {tmp_path / 'file'}"]
    assert (tmp_path / "file").read_text() == "x"


def test_index_folder_that_cannot_be_written_simulated_in_process(index_copy, seeds_copy, monkeypatch):
    # as root chmod does not stop writes: the lock file cannot be opened, as on a read-only mount
    real_open = os.open

    def read_only_open(path, flags, *args, **kwargs):
        if str(path).startswith(str(index_copy)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", read_only_open)
    with pytest.raises(qa.QAError, match="cannot write the index folder .*Read-only file system"):
        qa.build_index(SEEDS, index_copy, warn=lambda m: None)
    monkeypatch.undo()
    qa.open_index(SEEDS, index_copy, update=False)  # untouched


# ---------------------------------------------------------------- nothing runs, nothing is followed


def test_no_code_in_qa_can_unpickle_or_evaluate():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "qa").rglob("*.py"))
    for pattern in [r"\bimport pickle\b", r"\bpickle\.", r"allow_pickle\s*=\s*True", r"\bjoblib\b",
                    r"(?<![\w.])eval\(", r"(?<![\w.])exec\(", r"\bmarshal\b", r"\bshelve\b"]:
        assert not re.search(pattern, source), pattern


class Payload:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_pickled_object_array_is_refused_and_runs_no_code(pristine, index_copy, tmp_path):
    marker = tmp_path / "PWNED"
    m = manifest_of(index_copy)
    seg = m["segments"][0]
    for name in ("docs", "lengths"):  # a small one (read) and one that may be memory-mapped
        path = index_copy / seg["name"] / seg["arrays"][name]["file"]
        with open(path, "wb") as f:
            np.save(f, np.array([Payload(marker)] * 3, dtype=object), allow_pickle=True)
        # the manifest agrees with the file, so only the loader stands between the payload and a run
        seg["arrays"][name].update(dtype="object", shape=[3], bytes=path.stat().st_size,
                                   crc32=storage.crc32_file(path))
    save_manifest(index_copy, m)
    messages = []
    idx = qa.open_index(SEEDS, index_copy, warn=messages.append)
    assert not marker.exists()
    assert len(messages) == 1 and "unreadable" in messages[0] and "rebuilding" in messages[0]
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == pristine[1]
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../../../../../../etc/passwd", "/etc/passwd", "../manifest.json",
                                  "sub/docs.npy", ".hidden.npy", "docs.txt", ""])
def test_array_names_outside_the_segment_are_never_opened(index_copy, name, monkeypatch):
    meta = {"file": name, "dtype": "uint8", "shape": [0], "bytes": 0, "crc32": 0}
    opened = []
    monkeypatch.setattr(storage, "crc32_file", lambda p: opened.append(p))
    monkeypatch.setattr(np, "load", lambda p, *a, **k: opened.append(p))
    with pytest.raises(storage.IndexDamaged, match="not a plain .npy name"):
        storage.read_array(index_copy / "seg-x", meta, verify=True)
    assert not opened


@pytest.mark.parametrize("where", ["absolute", "relative"])
def test_manifest_pointing_an_array_outside_the_index_is_rebuilt(pristine, index_copy, tmp_path, where):
    outside = tmp_path / "outside.npy"
    np.save(outside, np.zeros(3, np.uint32))
    seg_folder = index_copy / manifest_of(index_copy)["segments"][0]["name"]
    target = str(outside) if where == "absolute" else os.path.relpath(outside, seg_folder)
    set_array_meta(file=target, bytes=outside.stat().st_size, crc32=storage.crc32_file(outside),
                   dtype="uint32", shape=[3])(index_copy)
    messages = []
    idx = qa.open_index(SEEDS, index_copy, warn=messages.append, semantic=False)
    assert len(messages) == 1 and "not a plain .npy name" in messages[0]
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == pristine[2]


OUTSIDE = [{"segment_name": "../evil"}, {"segment_name": "/tmp"}, {"source": "../../../../etc/passwd"},
           {"source": "/etc/passwd"}, {"file_key": "../secret.txt"}]


# the default (semantic) path also writes vectors after the rebuild: it runs on the first case
@pytest.mark.parametrize("semantic, change", [(False, change) for change in OUTSIDE] + [(None, OUTSIDE[0])])
def test_manifest_naming_folders_or_sources_outside_is_rebuilt_and_nothing_is_written_there(
        pristine, index_copy, tmp_path, change, semantic):
    m = manifest_of(index_copy)
    if "segment_name" in change:
        m["segments"][0]["name"] = change["segment_name"]
    if "source" in change:
        m["segments"][0]["sources"][0] = change["source"]
    if "file_key" in change:
        m["files"][change["file_key"]] = {"size": 1, "mtime_ns": 1, "segment": m["segments"][0]["name"],
                                          "first": 0, "count": 1}
    save_manifest(index_copy, m)
    before = sorted(p.name for p in tmp_path.iterdir())
    messages = []
    idx = qa.open_index(SEEDS, index_copy, warn=messages.append, semantic=semantic)
    assert len(messages) == 1 and "damaged" in messages[0], messages
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == pristine[1 if semantic is None else 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path / "evil").exists()


def test_disk_full_during_a_build_is_one_line_and_keeps_the_previous_index_simulated(pristine, index_copy,
                                                                                     monkeypatch):
    # a full disk cannot be made safely here: the array writer fails as it would on ENOSPC
    from qa import build as builder
    before = (index_copy / "manifest.json").read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(builder.storage, "write_array", full)
    with pytest.raises(qa.QAError, match="No space left on device; the previous index, if any, is unchanged"):
        qa.build_index(SEEDS, index_copy, warn=lambda m: None)
    monkeypatch.undo()
    assert (index_copy / "manifest.json").read_bytes() == before
    idx = qa.open_index(SEEDS, index_copy, update=False)
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == pristine[1]
