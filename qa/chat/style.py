"""The chat's colours. Only classes are used elsewhere, so this is the one place to restyle."""
from __future__ import annotations

import os

from prompt_toolkit.styles import Style


def chat_style() -> Style:
    # prompt_toolkit already drops colours when NO_COLOR is set (colour depth
    # 1 bit); highlighted terms then need an attribute that survives that.
    hit = "bold underline" if os.environ.get("NO_COLOR") else "bold ansired"
    return Style.from_dict(
        {
            "prompt": "bold",
            "answer": "bold",
            "hit": hit,
            "citation": "ansicyan",
            "rank": "bold",
            "also-in": "italic",
            "notice": "italic",
            "heading": "bold",
            "error": "ansired",
            "warning": "ansiyellow",
            "gutter": "ansibrightblack",
            "gutter.passage": "ansicyan bold",
            "context": "",
            "passage": "",
            "key": "bold",
            "bottom-toolbar.value": "bold",
            "pager.status": "reverse",
        }
    )
