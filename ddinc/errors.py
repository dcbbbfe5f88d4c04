"""The one exception tree of ddinc.

Every error ddinc raises on purpose derives from :class:`DdincError` and says, in its
message, what the user can do next::

    DdincError
    ├── ConfigError                 a setting, argument or option is wrong
    │   ├── RecipeMismatchError     a recipe made on other data (ddinc.clean.recipe)
    │   ├── RecipePartialError      a step changed no row, or excluded over half of them
    │   ├── LedgerBusyError         another run holds the ledger (ddinc.push.ledger)
    │   ├── LedgerTargetError       the ledger belongs to another Datadog site or org
    │   └── LedgerWriteError        the ledger cannot be written (read-only, disk full)
    ├── LoadError                   a legacy export cannot be read as asked
    │   └── SourceDetectionError    the source could not be told from the file
    └── DatadogError                anything on the Datadog side (ddinc.datadog.errors)
        ├── DatadogAPIError         Datadog answered with an error status
        │   ├── BadRequestError         400: the request broke a rule; the messages say which
        │   ├── UnauthorizedError       401: key missing or invalid
        │   ├── ForbiddenError          403: wrong site, missing incident_write, Preview off
        │   ├── NotFoundError           404
        │   ├── RateLimitedError        429: not processed, safe to send again
        │   ├── ServerError             5xx
        │   └── UnexpectedStatusError   any other status
        ├── DatadogConnectionError  the request could not be sent, or no answer came
        ├── InvalidResponseError    the answer could not be read
        │   └── UndecodableResponseError  a body that is not the JSON it claims to be
        ├── InvalidRequestError     a request the API would refuse, caught before sending
        └── OutcomeUnknownError     a write may or may not have happened: reconcile, never resend
            └── ImportOutcomeUnknownError

Errors that belong to one concept live beside it (the ledger's, the recipe's) and are drawn
here, so this stays the one map of what can go wrong.

Load errors carry *where* (file, row, column) and *what* (value) as attributes, so a notebook
or a script can point at the cell without parsing the message.

Messages quote file content (column names, cells, server answers), and a terminal obeys the
control characters in it: an ESC sequence in a column name can recolour, hide or rewrite what
the analyst reads. So every message is made printable here, in the base class, where every
error of the tree passes: no caller has to remember it (:func:`printable`).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

__all__ = [
    "ConfigError",
    "DatadogError",
    "DdincError",
    "InvalidRequestError",
    "LoadError",
    "SourceDetectionError",
    "printable",
]

_MAX_VALUE_CHARS = 80


# Control characters (ESC, CR, NUL, ...), line and paragraph separators, and format
# characters (bidi overrides, zero-width spaces, BOM): the ones that act instead of showing.
# Lone surrogates too: printing one raises UnicodeEncodeError on a UTF-8 terminal.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def printable(text: str) -> str:
    r"""``text`` with every character a terminal would act on written as a Python escape.

    Examples
    --------
    >>> printable("id\x1b[2J,\ufeffname")
    'id\\x1b[2J,\\ufeffname'
    >>> printable("Café, Zürich, 東京")
    'Café, Zürich, 東京'
    """
    if text.isprintable():
        return text
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES else char
        for char in text
    )


class DdincError(Exception):
    """Base class of every error ddinc raises on purpose.

    Text arguments are made :func:`printable`: messages quote file content.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(printable(arg) if isinstance(arg, str) else arg for arg in args))


class ConfigError(DdincError, ValueError):
    """A setting, argument or option is wrong; the message says which and what is allowed."""


class DatadogError(DdincError):
    """Base class of errors on the Datadog side (client, emulator, payloads)."""


class InvalidRequestError(DatadogError, ValueError):
    """A request the API would refuse, caught before anything is sent.

    ``problems`` lists each broken rule as ``(where, what)``, e.g.
    ``("data.attributes.title", "String should have at most 1024 characters")``.
    """

    def __init__(self, what: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        listed = "; ".join(f"{where}: {message}" for where, message in problems)
        super().__init__(
            f"{what} would be refused by Datadog: {listed}. Fix these values before sending"
        )


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


class LoadError(DdincError):
    """A legacy export cannot be read as asked.

    Parameters
    ----------
    problem
        What is wrong, in the analyst's words.
    hint
        What to do about it.
    file, row, column, value
        Where it happened, as far as known. ``row`` is the 1-based data row (the header is not
        counted; for JSON, the position of the record in its list).
    """

    def __init__(
        self,
        problem: str,
        *,
        hint: str = "",
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.problem = problem
        self.hint = hint
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        text = f"{text}: {self.problem}" if text else self.problem
        if self.value is not None:
            text += f" (value {_shorten(self.value)})"
        if self.hint:
            text += f". {self.hint[:1].upper()}{self.hint[1:]}"
        return text


class SourceDetectionError(LoadError):
    """The legacy system that wrote a file could not be told unambiguously."""
