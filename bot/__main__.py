"""``python -m bot`` is the ``hoidap`` command."""

from bot.cli import main

if __name__ == "__main__":  # never when a worker process imports it
    main()
