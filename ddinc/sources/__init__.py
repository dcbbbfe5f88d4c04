"""Legacy sources: each a declarative mapping plus, where needed, a small ``prepare`` step.

``SOURCES`` maps each source name to its :class:`Source`; :func:`detect` picks the one source a
table unambiguously looks like.
"""

from __future__ import annotations

import importlib
from typing import Final

from ddinc.errors import SourceDetectionError
from ddinc.readers import Table
from ddinc.sources.mapping import EventLog, Mapping
from ddinc.sources.mapping_file import read_mapping
from ddinc.sources.source import Source
from ddinc.sources.specs import computed, concat, const, pattern

__all__ = [
    "SOURCES",
    "EventLog",
    "Mapping",
    "Source",
    "computed",
    "concat",
    "const",
    "detect",
    "get_source",
    "pattern",
    "read_mapping",
]

# Module name -> name of its Source constant.
_BUILTIN: Final = {
    "servicenow": "SERVICENOW",
    "statuspage": "STATUSPAGE",
    "pagerduty": "PAGERDUTY",
    "opsgenie": "OPSGENIE",
    "jira": "JIRA",
    "canonical_csv": "CANONICAL_CSV",  # ddinc's own canonical CSV, read back as written
}


def _load_builtin() -> dict[str, Source]:
    sources = {}
    for module, constant in _BUILTIN.items():
        source: Source = getattr(importlib.import_module(f"ddinc.sources.{module}"), constant)
        sources[source.name] = source
    return sources


SOURCES: Final[dict[str, Source]] = _load_builtin()


def get_source(name: str) -> Source:
    """The built-in source called ``name``."""
    try:
        return SOURCES[name.strip().lower()]
    except KeyError:
        raise SourceDetectionError(
            f"unknown source {name!r}",
            hint=f"use one of {', '.join(sorted(SOURCES))}, or pass a Mapping for any other file",
        ) from None


def detect(table: Table) -> Source:
    """The one built-in source ``table`` looks like.

    Raises
    ------
    SourceDetectionError
        When no source or more than one matches; the message lists what was seen.
    """
    matches = [source for source in SOURCES.values() if source.matches(table)]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(c for c in table.frame.columns[:12] if not c.startswith("__"))
    if not matches:
        raise SourceDetectionError(
            "cannot tell which legacy system wrote this file",
            file=table.path,
            hint=f"its columns are {shown}; pass source=... (one of {', '.join(sorted(SOURCES))}) "
            "or a Mapping naming the columns",
        )
    raise SourceDetectionError(
        f"the file looks like more than one source ({', '.join(s.name for s in matches)})",
        file=table.path,
        hint="pass source=... to choose",
    )
