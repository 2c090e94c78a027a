"""Progress while a long PDF is read: the API's callback moves page by page inside the file."""
from __future__ import annotations

import pytest

import qa


def many_page_pdf(path, pages: int) -> None:
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (the test extra) writes the test PDF")
    pdf = fpdf.FPDF()
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, f"Chapter {number}. The keeper of lighthouse number {number} logged the ships "
                             f"that passed in the night, and the log of chapter {number} is kept in the museum.")
    pdf.output(str(path))


def test_the_callback_moves_page_by_page_through_one_pdf(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    many_page_pdf(folder / "log.pdf", 40)
    (folder / "notes.md").write_text("# Notes\n\nThe museum opens at nine on weekdays.\n", encoding="utf-8")
    calls: list[tuple[float, int]] = []
    index = qa.build_index(folder, tmp_path / "idx", semantic=False,
                           progress=lambda done, total: calls.append((done, total)))
    assert all(total == 2 for _, total in calls)
    inside = [done for done, _ in calls if 0 < done % 1]  # counts between two whole files: pages of the PDF
    assert len(inside) >= 30  # (nearly) one a page, not one a file
    assert inside == sorted(inside) and len(set(inside)) == len(inside)  # growing
    assert [done for done, _ in calls] == sorted(done for done, _ in calls) and calls[-1][0] == 2
    answer = index.ask("where is the log of chapter 17 kept", k=1)
    assert answer.results[0].source == "log.pdf" and answer.results[0].page == 17


def test_qa_index_bar_moves_inside_one_pdf_on_a_terminal(tmp_path):
    import re
    import sys

    pexpect = pytest.importorskip("pexpect")
    from conftest import REPO

    folder = tmp_path / "docs"
    folder.mkdir()
    many_page_pdf(folder / "log.pdf", 60)
    child = pexpect.spawn(sys.executable, ["-m", "qa", "index", "--lexical", "--corpus", str(folder),
                                           "--index", str(tmp_path / "idx")],
                          cwd=str(REPO), encoding="utf-8", timeout=120, dimensions=(24, 100))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    shown = re.findall(r"(\d+)% \((\d+)/(\d+) files\)", child.before)
    inside = {int(pct) for pct, done, total in shown if done == "0" and total == "1" and 0 < int(pct) < 100}
    assert len(inside) >= 10, shown  # the bar moved while the one file was read, in whole files on screen
