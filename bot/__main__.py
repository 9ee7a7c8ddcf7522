"""``python -m bot`` is the ``hoidap`` command."""

from bot.cli import main

main()
