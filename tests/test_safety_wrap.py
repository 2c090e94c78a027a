"""Rendering a long unbroken token: cut into line-sized pieces first (textwrap alone is quadratic in it)."""

from conftest import run_qa


def test_long_unbroken_token_is_wrapped_whole(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    token = "z" * 200_000
    (corpus / "blob.txt").write_text(f"checksum {token}\n")
    result = run_qa("ask", "checksum", "--corpus", corpus, "--index", tmp_path / "i", env={"COLUMNS": "80"})
    assert result.returncode == 0
    wrapped = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("z")]
    assert "".join(wrapped).count("z") >= 200_000 - 80 and max(len(line) for line in wrapped) <= 80
