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

    @keys.add("tab")
    def _complete(event) -> None:
        """Tab: a single completion is taken outright (prompt_toolkit's own Tab would select it, then a second
        Tab would cycle back to what was typed); among several, the next; with none yet, their common part."""
        buffer = event.current_buffer
        state = buffer.complete_state
        if state and len(state.completions) == 1:
            buffer.apply_completion(state.completions[0])
        elif state and state.completions:
            buffer.complete_next()
        else:
            buffer.start_completion(insert_common_part=True)

    return keys
