"""Text made safe to store: what members type goes into SQLite and PostgreSQL as is, minus what breaks them."""

from __future__ import annotations

import re

# NUL is refused by PostgreSQL text columns; other C0/C1 controls, lone surrogates (from
# ``surrogateescape`` decoding) and the non-characters U+FFFE/U+FFFF are refused by drivers or
# corrupt exports. Tabs and newlines are kept.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str | None, limit: int | None = None) -> str:
    """``text`` without characters a database refuses, cut to ``limit`` characters."""
    out = _INVALID.sub("", text or "")
    return out[:limit] if limit is not None else out
