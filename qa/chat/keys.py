"""Key bindings added to prompt_toolkit's Emacs defaults (which already give Tab, Ctrl-R, Ctrl-C, Ctrl-D)."""
from __future__ import annotations

from prompt_toolkit.filters import completion_is_selected, has_completions
from prompt_toolkit.key_binding import KeyBindings


def chat_keys() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("enter", filter=completion_is_selected & has_completions)
    def _take_completion(event) -> None:
        """Enter on a highlighted completion takes it; runs the line when that completes it."""
        buffer = event.current_buffer
        buffer.complete_state = None
        if not buffer.text.endswith(" "):
            buffer.validate_and_handle()

    return keys
