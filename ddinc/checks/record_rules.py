"""Checks on one record's own fields: its id, title, state, severity and loader notes.

Decisions worth knowing:

- ``state_missing`` (no state and no raw state either) is an ERROR like ``state_unmapped``:
  the push needs a state, and an incident imported without one would show up as open.
- ``resolved_time_while_open`` only looks at rows that have a state; a row without one
  already fails a state check. Any state but ``resolved`` fails it, ``completed`` too: the
  import endpoint accepts a resolved time only with the state ``resolved``.
- ``resolved_time_missing`` counts ``completed`` as resolved.
- Blank text (empty or only whitespace) counts as missing.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from ddinc.checks._text import is_blank, quoted
from ddinc.checks.model import Check, Level
from ddinc.limits import RESOLVED_TIME_STATE, TITLE_MAX_CHARS

__all__ = [
    "LOAD_NOTE",
    "RECORD_CHECKS",
    "RESOLVED_TIME_MISSING",
    "RESOLVED_TIME_WHILE_OPEN",
    "SEVERITY_UNMAPPED",
    "SOURCE_ID_MISSING",
    "STATE_MISSING",
    "STATE_UNMAPPED",
    "TITLE_MAX_CHARS",
    "TITLE_MISSING",
    "TITLE_TOO_LONG",
]

_RESOLVED_STATES: Final = ("resolved", "completed")
# The only state the import endpoint accepts a resolved time with.
_ACCEPTS_RESOLVED_TIME: Final = RESOLVED_TIME_STATE


def _state() -> pl.Expr:
    return pl.col("state").cast(pl.String)


def _raw(name: str) -> pl.Expr:
    return pl.col("raw").struct.field(name)


SOURCE_ID_MISSING: Final = Check(
    name="source_id_missing",
    level=Level.ERROR,
    description="No legacy id: the import state file keys on it, so a re-run could send the "
    "incident twice.",
    message="no source id; give every incident the legacy system's id (a recipe can copy "
    "another column into source_id)",
    predicate=lambda frame, context: is_blank(pl.col("source_id")),
    columns=("source_id",),
    row_wise=True,
)

TITLE_MISSING: Final = Check(
    name="title_missing",
    level=Level.ERROR,
    description="Null or blank title: the import endpoint requires one.",
    message="no title; the import endpoint requires one (a recipe can build it from another "
    "column)",
    predicate=lambda frame, context: is_blank(pl.col("title")),
    columns=("title",),
    row_wise=True,
)

TITLE_TOO_LONG: Final = Check(
    name="title_too_long",
    level=Level.ERROR,
    description=f"Title over {TITLE_MAX_CHARS} characters: the import endpoint rejects it.",
    message=f"title is {{length}} characters, over the limit of {TITLE_MAX_CHARS}; shorten it "
    "and keep the full text in a summary field",
    predicate=lambda frame, context: pl.col("title").str.len_chars() > TITLE_MAX_CHARS,
    columns=("title",),
    details=lambda frame, context: {"length": pl.col("title").str.len_chars().cast(pl.String)},
    row_wise=True,
)

STATE_MISSING: Final = Check(
    name="state_missing",
    level=Level.ERROR,
    description="No state at all (none in the export either): the push needs one, and an "
    "incident without it would look open.",
    message="no state in the export; set one in a recipe (e.g. resolved when the incident "
    "has a resolved time)",
    predicate=lambda frame, context: pl.col("state").is_null() & is_blank(_raw("state")),
    columns=("state", "resolved"),
    row_wise=True,
)

STATE_UNMAPPED: Final = Check(
    name="state_unmapped",
    level=Level.ERROR,
    description="The export's state is not covered by the state mapping: the push needs a state.",
    message="state {raw_state} is not covered by the state mapping; map it to one of active, "
    "stable, resolved, completed",
    predicate=lambda frame, context: pl.col("state").is_null() & ~is_blank(_raw("state")),
    columns=("state",),
    details=lambda frame, context: {"raw_state": quoted(_raw("state"))},
    row_wise=True,
)

SEVERITY_UNMAPPED: Final = Check(
    name="severity_unmapped",
    level=Level.WARNING,
    description="The export's severity is not covered by the severity mapping: the incident "
    "would be imported without one.",
    message="severity {raw_severity} is not covered by the severity mapping; map it to a "
    "SEV level or to UNKNOWN",
    predicate=lambda frame, context: pl.col("severity").is_null() & ~is_blank(_raw("severity")),
    columns=("severity",),
    details=lambda frame, context: {"raw_severity": quoted(_raw("severity"))},
    row_wise=True,
)

RESOLVED_TIME_WHILE_OPEN: Final = Check(
    name="resolved_time_while_open",
    level=Level.ERROR,
    description="A resolved time on an incident whose state is not resolved (active, stable "
    "or completed): the import endpoint accepts resolved only for resolved incidents.",
    message="resolved at {resolved} but the state is {state}; map the state to resolved or "
    "clear the resolved time",
    predicate=lambda frame, context: (
        pl.col("resolved").is_not_null() & (_state() != _ACCEPTS_RESOLVED_TIME)
    ),
    columns=("state", "resolved"),
    row_wise=True,
)

RESOLVED_TIME_MISSING: Final = Check(
    name="resolved_time_missing",
    level=Level.WARNING,
    description="A resolved or completed incident without a resolved time: its time to "
    "resolve cannot be measured.",
    message="state is {state} but there is no resolved time; take it from the export's "
    "close or last-update time if there is one",
    predicate=lambda frame, context: (
        pl.col("resolved").is_null() & _state().is_in(_RESOLVED_STATES)
    ),
    columns=("state", "resolved"),
    row_wise=True,
)

LOAD_NOTE: Final = Check(
    name="load_note",
    level=Level.WARNING,
    description="The loader had to decide about a value (a local time that never happened or "
    "happened twice at a clock change): check its choice.",
    message="the loader noted: {notes}",
    predicate=lambda frame, context: pl.col("load_notes").list.len() > 0,
    columns=("load_notes",),
    details=lambda frame, context: {"notes": pl.col("load_notes").list.join("; ")},
    row_wise=True,
)

RECORD_CHECKS: Final = (
    SOURCE_ID_MISSING,
    TITLE_MISSING,
    TITLE_TOO_LONG,
    STATE_MISSING,
    STATE_UNMAPPED,
    RESOLVED_TIME_WHILE_OPEN,
    SEVERITY_UNMAPPED,
    RESOLVED_TIME_MISSING,
    LOAD_NOTE,
)
"""Checks on one record's own fields."""
