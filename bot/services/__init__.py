"""What the :class:`~bot.service.Assistant` does, one concern per module: answering, the library
(documents and index versions), records (question logs, statistics, review) and quizzes."""
