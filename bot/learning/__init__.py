"""Learning from use: admins link members' real questions to official answers (or mark them out of
scope), the bot proposes candidates for review, and the calibration can be refitted with them.

- :mod:`bot.learning.store` — phrasings and the review queue in the database;
- :mod:`bot.learning.memory` — linked phrasings in service beside the index, used when answering;
- :mod:`bot.learning.privacy` — retention of question logs, pseudonyms in exports.
"""
