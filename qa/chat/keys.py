"""Key bindings added to prompt_toolkit's Emacs defaults (which already give Tab, Ctrl-R, Ctrl-C, Ctrl-D)."""
from __future__ import annotations

from prompt_toolkit.filters import completion_is_selected, has_completions
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys


def chat_keys() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("enter", filter=completion_is_selected & has_completions)
    def _take_completion(event) -> None:
        """Enter on a highlighted completion takes it; runs the line when that completes it."""
        buffer = event.current_buffer
        buffer.complete_state = None
        if not buffer.text.endswith(" "):
            buffer.validate_and_handle()

    @keys.add(Keys.CPRResponse, save_before=lambda event: False)
    def _cursor_position(event) -> None:
        """prompt_toolkit's own handler, plus a redraw.

        The toolbar is drawn only once the terminal has said where the cursor
        is, and that answer arrives after the prompt's first drawing; without
        the redraw the toolbar would wait for the next key press.
        """
        row, _ = map(int, event.data[2:-1].split(";"))
        event.app.renderer.report_absolute_cursor_row(row)
        event.app.invalidate()

    return keys
