"""Passage ids -> their segment, source and span: the table both the local and the cluster ranker keep."""
from __future__ import annotations

import numpy as np


class PassageTable:
    """The segments in order, each numbered from its offset."""

    def __init__(self, segments: list, offsets: np.ndarray):
        self.segments = segments
        self.offsets = offsets

    def locate(self, pid: int) -> tuple[object, int]:
        """(segment, position in it) of passage ``pid``."""
        i = int(np.searchsorted(self.offsets, pid, side="right")) - 1
        return self.segments[i], pid - int(self.offsets[i])

    def passage(self, pid: int) -> tuple[str, int, int, int, int]:
        """(source, char_start, char_end, line_start, line_end) of passage ``pid``."""
        seg, local = self.locate(pid)
        file_no, cs, ce, ls, le = seg.passages[local].tolist()
        return seg.sources[file_no], cs, ce, ls, le

    def live_passages(self):
        """Every (passage id, source) not deleted, in index order."""
        for offset, seg in zip(self.offsets, self.segments):
            for local in range(seg.size):
                if seg.deleted is None or not seg.deleted[local]:
                    yield int(offset) + local, seg.sources[int(seg.passages[local, 0])]


class PassageLookups:
    """What a ranker answers about its passages, from its ``table`` (a PassageTable): both rankers inherit it."""

    table: PassageTable

    def locate(self, pid: int):
        return self.table.locate(pid)

    def passage(self, pid: int) -> tuple[str, int, int, int, int]:
        """(source, char_start, char_end, line_start, line_end) of passage ``pid``."""
        return self.table.passage(pid)

    def live_passages(self):
        """Every (passage id, source) not deleted, in index order."""
        return self.table.live_passages()


def shard_totals(segments: list) -> tuple[int, float]:
    """(live passages, their summed length) of ``segments``."""
    live = sum(s.live for s in segments)
    length = sum(float(s.lengths[~s.deleted].sum() if s.deleted is not None else s.lengths.sum()) for s in segments)
    return live, length
