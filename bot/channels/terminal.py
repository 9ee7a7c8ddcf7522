"""The terminal chat: the conversation core in a console (``hoidap chat``), plain text out.

Choices are numbered as on Zalo: typing the number takes it (the one-tap way to a suggested or
confirmed question). Nothing is logged: the terminal is for trying questions.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels import plain
from bot.conversation.actor import PRIVATE, Actor, Incoming
from bot.conversation.replies import Toast, Work
from bot.progress import Progress

CHANNEL = "terminal"


class Terminal:
    def __init__(self, assistant, progress: Callable[[], Progress] = Progress) -> None:
        self.conv = assistant.conversation()
        self.conv.register_channel(CHANNEL, polls=False)
        self.actor = Actor(CHANNEL, "local", "terminal", PRIVATE, "Bạn")
        self._progress = progress
        self._choices: dict[str, str] = {}

    def say(self, line: str) -> str:
        """One line typed; the reply as text (empty when there is nothing to say)."""
        text = line.strip()
        if text in self._choices:
            turn = self.conv.tap(self.actor, self._choices[text])
        else:
            turn = self.conv.text(self.actor, Incoming(text=text, addressed=True))
        numbering = plain.Numbering()
        blocks = []
        pending = list(turn.replies)
        while pending:
            reply = pending.pop(0)
            if isinstance(reply, Work):
                pending[:0] = reply.run(self._progress())
                continue
            if isinstance(reply, Toast) and not reply.alert:
                continue
            rendered = plain.render(reply, numbering)
            if rendered:
                blocks.append(rendered)
        self._choices = numbering.actions
        return "\n\n".join(blocks)
