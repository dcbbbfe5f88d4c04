"""Library wording -> command-line wording, for messages that reach the ``ddinc`` command.

The library's errors and notes speak Python (``pass source=...``, ``order='day_first'``): that
is right for a notebook. The command shows the same message with the option a shell user
types instead (``pass --source NAME``, ``--order day_first``), so the library keeps one wording
and the command maps it here.

>>> cli_wording("its columns are a, b; pass source=... (one of jira, servicenow)")
'its columns are a, b; pass --source NAME (one of jira, servicenow)'
>>> cli_wording("pass order='day_first' or order='month_first' to say which")
'pass --order day_first or --order month_first to say which'
"""

from __future__ import annotations

import re
from typing import Final

from ddinc.errors import printable

__all__ = ["OPTIONS", "cli_wording"]

# Python parameter -> (command-line option, what to write in place of an elided value).
OPTIONS: Final[dict[str, tuple[str, str]]] = {
    "source": ("--source", "NAME"),
    "tz": ("--tz", "ZONE"),
    "order": ("--order", "day_first|month_first"),
    "sheet": ("--sheet", "NAME"),
    "fields": ("--field", "KEY=COLUMN"),
    "detected_from": ("--detected-from", "impact_start|declared"),
    "include_unreal": ("--include-unreal", ""),
    "force": ("--force", ""),
    "allow_partial": ("--allow-partial", ""),
}

_PARAMETER: Final = re.compile(
    r"(?<![\w.(])(" + "|".join(OPTIONS) + r")=(?:'([^']*)'|\"([^\"]*)\"|(\.\.\.)|(True)\b)?"
)

# Phrases about Python objects a shell user cannot pass, with what the command takes instead.
_PHRASES: Final = (
    (re.compile(r"\bor a Mapping naming the columns"), "or a TOML mapping file naming the columns"),
    (re.compile(r"\b([Pp])ass a Mapping\b"), r"\1ass a TOML mapping file (--source mapping.toml)"),
    (
        re.compile(r"\b([Pp])ass formats=\[\.\.\.\]"),
        r"\1ass a [formats] entry in a TOML mapping file (--source mapping.toml)",
    ),
    (re.compile(r"\bnone of formats="), "none of the formats "),
    (re.compile(r"\bformats=\["), "["),
)


def _option(match: re.Match[str]) -> str:
    option, placeholder = OPTIONS[match.group(1)]
    quoted = match.group(2) if match.group(2) is not None else match.group(3)
    if quoted is not None:
        return f"{option} {quoted}"
    if match.group(4) is not None and placeholder:
        return f"{option} {placeholder}"
    return option


def cli_wording(message: str) -> str:
    """``message`` with Python parameters (``source=...``) written as command-line options.

    Every line is made printable too: load notes, quarantine reasons and check messages quote
    the file's own text, and a terminal would obey the control characters in it.
    """
    for pattern, replacement in _PHRASES:
        message = pattern.sub(replacement, message)
    worded = _PARAMETER.sub(_option, message)
    return "\n".join(printable(line) for line in worded.split("\n"))
