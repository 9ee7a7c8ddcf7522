"""One exception hierarchy for everything the assistant raises on purpose.

Messages are Vietnamese because they reach people: the admin at the CLI, the
member or officer in chat. Each error keeps its context (file, line, document)
as attributes so handlers and logs can use it without parsing the text.
Wrap lower-level exceptions with ``raise ... from e`` so the cause survives.
"""

from __future__ import annotations

from pathlib import Path


class HoidapError(Exception):
    """Base class: a failure we anticipated and can explain in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(HoidapError):
    """The configuration names something that does not exist or cannot work."""


class ModelError(HoidapError):
    """The embedding model is missing, cannot be converted or cannot be loaded."""


class DocumentError(HoidapError):
    """A source document cannot be read or parsed.

    ``path`` and ``line`` (1-based) locate the problem; ``message`` already
    names them, so it can be shown as is.
    """

    def __init__(self, detail: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.detail = detail
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path:
            where = Path(self.path).name
            if line is not None:
                where += f", dòng {line}"
            where += ": "
        super().__init__(where + detail)


class UnsupportedFileType(DocumentError):
    """The file is not .txt, .md, .docx or .pdf."""


class DocumentTooLarge(DocumentError):
    """The file is over the configured size limit."""


class DuplicateDocument(DocumentError):
    """The same document (same content hash or number) is already in the knowledge base."""


class DocumentNotFound(DocumentError):
    """No document with that id in the knowledge base."""


class IndexStoreError(HoidapError):
    """The index on disk is missing, incomplete or cannot be switched."""


class NoActiveIndex(IndexStoreError):
    """No index version has been built and activated yet."""


class IndexBuildError(IndexStoreError):
    """A build failed; the previously active version stays active."""


class QuizError(HoidapError):
    """The quiz bank, a schedule or an imported quiz file is invalid."""


class QuizImportError(QuizError):
    """Rows of an officer's quiz file are invalid (file and line in the message).

    ``problems`` holds every bad row as (line, reason), so an officer fixes the whole file at once;
    ``line`` is the first of them."""

    def __init__(
        self,
        detail: str,
        path: str | Path | None = None,
        line: int | None = None,
        problems: list[tuple[int | None, str]] | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.problems = problems or [(line, detail)]
        where = ""
        if self.path:
            where = Path(self.path).name + (f", dòng {line}" if line is not None else "") + ": "
        super().__init__(where + detail)


class PermissionDenied(HoidapError):
    """The user lacks the role the action needs (admin or officer)."""


class UserInputError(HoidapError):
    """A command was used the wrong way; the message says how to use it."""
