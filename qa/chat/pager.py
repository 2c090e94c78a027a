"""A small full-screen pager for text taller than the terminal (a passage in context, the sources).

Built on prompt_toolkit rather than $PAGER so styles, NO_COLOR and the
sanitized text reach the screen exactly as the chat prints them.
"""
from __future__ import annotations

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text, split_lines
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.bindings import scroll
from prompt_toolkit.layout import HSplit, Layout, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.output import Output
from prompt_toolkit.styles import BaseStyle

QUIT_HINT = "q quits"
# An empty fragment in this style (prompt_toolkit's marker for "the cursor goes
# here") says where the reader should start: the page opens one line above it.
START_HERE = "[SetCursorPosition]"


class _Fragments(Lexer):
    """Styles the pager's read-only buffer with the fragments it was made from."""

    def __init__(self, lines: list[StyleAndTextTuples]) -> None:
        self.lines = lines

    def lex_document(self, document):
        return lambda number: self.lines[number] if number < len(self.lines) else []


def status_line(title: str, shown: str, width: int) -> str:
    """The fullest status line that fits ``width``: the scrolling keys go first, then the title; how to quit stays."""
    fits = (f" {title} · {shown} · {QUIT_HINT} · Space, b, arrows scroll ", f" {title} · {shown} · {QUIT_HINT} ",
            f" {shown} · {QUIT_HINT} ", f" {QUIT_HINT} ")
    return next((line for line in fits if len(line) <= width), fits[-1])


def page(fragments: StyleAndTextTuples, title: str, style: BaseStyle, output: Output | None = None, input=None) -> int:
    """Show `fragments` full screen until the reader presses q (or Escape, Ctrl-C, Ctrl-D).

    Returns the line that was at the top when the reader left.
    """
    lines = list(split_lines(fragments))
    text = "\n".join(fragment_list_to_text(line) for line in lines)
    start = max(0, next((n for n, line in enumerate(lines) if any(f[0] == START_HERE for f in line)), 0) - 1)
    buffer = Buffer(document=Document(text, Document(text).translate_row_col_to_index(start, 0)), read_only=True)
    body = Window(BufferControl(buffer, lexer=_Fragments(lines)), wrap_lines=True, always_hide_cursor=True)

    def status() -> StyleAndTextTuples:
        info = body.render_info
        shown = f"lines {info.first_visible_line() + 1}-{info.last_visible_line() + 1} of {len(lines)}" if info else ""
        return [("class:pager.status", status_line(title, shown, info.window_width if info else 1000))]

    app: Application[None] = Application(
        layout=Layout(HSplit([body, Window(FormattedTextControl(status), height=1, style="class:pager.status")])),
        key_bindings=_keys(),
        style=style,
        full_screen=True,
        output=output,
        input=input,
    )
    app.run(pre_run=lambda: setattr(body, "vertical_scroll", start))  # after the reset that zeroes it
    return body.vertical_scroll


def _keys() -> KeyBindings:
    keys = KeyBindings()
    for key in ("q", "Q", "escape", "c-c", "c-d"):
        keys.add(key, eager=True)(lambda event: event.app.exit())
    for key in ("down", "j", "enter", "c-n"):
        keys.add(key)(scroll.scroll_one_line_down)
    for key in ("up", "k", "c-p"):
        keys.add(key)(scroll.scroll_one_line_up)
    for key in ("space", "pagedown", "f", "c-f"):
        keys.add(key)(scroll.scroll_page_down)
    for key in ("pageup", "b", "c-b"):
        keys.add(key)(scroll.scroll_page_up)

    @keys.add("home")
    @keys.add("g")
    def _top(event) -> None:
        event.app.layout.current_window.vertical_scroll = 0
        event.current_buffer.cursor_position = 0

    @keys.add("end")
    @keys.add("G")
    def _bottom(event) -> None:
        event.current_buffer.cursor_position = len(event.current_buffer.text)

    return keys
