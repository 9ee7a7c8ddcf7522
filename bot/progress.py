"""Progress reporting for long work (builds, conversions), independent of any UI.

The CLI shows a progress bar, the chat edits a message; the core only calls
``start``/``advance``.
"""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Receives stages of work and how far each has got. The base class ignores them."""

    def start(self, stage: str, total: int) -> None:
        """A new stage (Vietnamese label) of ``total`` steps begins."""

    def advance(self, n: int = 1) -> None:
        """``n`` more steps of the current stage are done."""

    def finish(self) -> None:
        """All stages are done."""


class CallbackProgress(Progress):
    """Calls ``fn(stage, done, total)`` on every change (the chat uses it, throttled)."""

    def __init__(self, fn: Callable[[str, int, int], None]) -> None:
        self.fn = fn
        self.stage = ""
        self.done = 0
        self.total = 0

    def start(self, stage: str, total: int) -> None:
        self.stage, self.done, self.total = stage, 0, total
        self.fn(stage, 0, total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.fn(self.stage, self.done, self.total)
