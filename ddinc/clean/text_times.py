"""Times a record's own text states, proposed for the times it lacks or does not really have.

A record's text is its ``notes`` (Statuspage updates: ``<time> <status>: <body>``; comments,
work notes, a description) and its carried text fields (``field.*``). From it, every dated
statement becomes an :class:`Update`: a time written in a body (read by
:mod:`ddinc.timestamps.prose`, each citing its words), or a note's own time when that time is
real. Then, for a record whose times are missing or not real:

- a back-filled record (every time equal, resolved included; ``zero_length_incident``):
  declared (and impact
  start, and detected where present) from its first update, resolved from the last update
  that says it is resolved, impact start and end from a written impact window where there
  is one. A note stamped with the back-filled time itself says nothing about when it
  happened and is not read as an update (its body still is);
- a resolved record without a resolved time (``resolved_time_missing``): resolved from the
  last update that says it is resolved;
- a record without an impact start or end: both from a written impact window
  (``between 12:15 PM and 12:21 PM PDT``), the latest update's window winning (final
  summaries correct earlier guesses).

"Says it is resolved" is judged one sentence at a time: a sentence saying resolved,
operating normally, back to normal, fully recovered or restored, and not "working to
resolve", "monitoring", "continue to monitor", "investigating", "not yet", "partially", or
"some"; or a Statuspage update whose status is ``resolved``/``postmortem`` (with no times
of its own in the body). A proposal that would put the record's times out of order is not
made. Every value is a :class:`~ddinc.clean.ops.TextCell` naming where and which words it
came from; where the text (or the note's own time) gives the date, they are evidence a person
accepts unread and are enabled by default. A time written without a date and without a dated
note around it (``10:07 AM UTC``) takes the record's day: right for most incidents, a day
short for one lasting longer, so those groups are offered disabled, as guesses.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ddinc.clean.ops import FillFromText, TextCell
from ddinc.clean.values import to_json
from ddinc.rowkey import ROW_KEY
from ddinc.schema import FIELD_PREFIX, TIMESTAMPS
from ddinc.timeline import DEFINITIONS
from ddinc.timestamps.prose import TextWindow, read_times, read_windows

__all__ = [
    "TextFill",
    "Update",
    "note_parts",
    "record_updates",
    "says_resolved",
    "text_fills",
]

_NOTES: Final = "notes"
# A note as the statuspage source writes it: "<ISO time> <status>: <body>".
_STAMPED: Final = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))"
    r" (?P<status>[A-Za-z_ ]{1,30}): ",
)
_TAG: Final = re.compile(r"<[^>]+>")
_SENTENCE: Final = re.compile(r"(?<=[.!?])\s+|\n+")
_SAYS_RESOLVED: Final = re.compile(
    r"\b(?:resolved|operating normally|operating as normal|back to normal|fully operational"
    r"|fully recovered|(?:been|is|are|now|fully) restored|has recovered|have recovered)\b",
    re.IGNORECASE,
)
_NOT_RESOLVED: Final = re.compile(
    r"\b(?:working (?:to|on|towards?) (?:resolv|fix|mitigat)\w*|work to resolve|to resolve"
    r"|continu\w* to monitor|monitoring|investigat\w*|not (?:yet )?(?:been )?"
    r"(?:resolved|restored|recovered)|unresolved|until\b[^.]*\bresolved|once\b[^.]*\bresolved"
    r"|partial(?:ly)?|some|begin\w* to recover|began to recover|start\w* to recover"
    r"|should be resolved|expect\w*)\b",
    re.IGNORECASE,
)
_RESOLVED_STATUSES: Final = frozenset({"resolved", "postmortem", "completed", "closed"})
_EVIDENCE_CHARS: Final = 160
# Stamps this close to a back-filled time are the back-fill's, not the update's own.
_SAME: Final = timedelta(seconds=1)


@dataclass(frozen=True)
class Update:
    """One dated statement of a record's text: when, where, the words, and whether it says
    the incident is resolved."""

    at: datetime
    where: str
    words: str
    resolves: bool
    # The text wrote no date and none came with it (a note's own time): the day was inferred
    # from the record's date, which a multi-day incident makes wrong.
    inferred: bool = False

    @property
    def evidence(self) -> str:
        day = " (no date written: day taken from the record)" if self.inferred else ""
        return f"{self.where}: {self.words}{day}"


@dataclass(frozen=True)
class _Window:
    window: TextWindow
    where: str
    said_at: datetime | None


@dataclass
class _Text:
    """What a record's text states."""

    updates: list[Update] = field(default_factory=list)
    windows: list[_Window] = field(default_factory=list)


@dataclass(frozen=True)
class TextFill:
    """A group of proposed cells, for one reason (the check the records fail)."""

    check: str
    title: str
    explanation: str
    step: FillFromText
    rows: int
    # Some value's day was not written (taken from the record's date): offered as a guess.
    needs_review: bool = False


def says_resolved(text: str) -> bool:
    """Whether one sentence of ``text`` says the incident is resolved, with no hedge.

    >>> says_resolved("This incident has been resolved. We continue to watch.")
    True
    >>> says_resolved("We are working to resolve the issue.")
    False
    >>> says_resolved("A fix was deployed; we continue to monitor, it seems resolved.")
    False
    >>> says_resolved("API Requests is operating normally.")
    True
    """
    plain = html.unescape(_TAG.sub(" ", text))
    return any(
        _SAYS_RESOLVED.search(sentence) and not _NOT_RESOLVED.search(sentence)
        for sentence in _SENTENCE.split(plain)
    )


def note_parts(note: str) -> tuple[datetime | None, str | None, str]:
    """A note's own time and status (when written as ``<ISO time> <status>: ``) and body.

    >>> note_parts("2021-02-02T14:28:18.575Z resolved: Fixed.")
    (datetime.datetime(2021, 2, 2, 14, 28, 18, 575000, tzinfo=datetime.timezone.utc), \
'resolved', 'Fixed.')
    >>> note_parts("A comment")
    (None, None, 'A comment')
    """
    match = _STAMPED.match(note)
    if match is None:
        return None, None, note
    stamp = datetime.fromisoformat(match.group("stamp").replace("Z", "+00:00"))
    return stamp, match.group("status").strip().lower(), note[match.end() :]


def _words(text: str, start: int, end: int) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text[start:end])).split())[:_EVIDENCE_CHARS]


def _read_text(
    text: str, where: str, reference: datetime | None, stamp: datetime | None, found: _Text
) -> bool:
    """Add the updates and windows written in ``text`` to ``found``; whether it had updates.

    Each time outside a window heads an update whose words run to the next such time (a list
    of dated lines, AWS's ``<span>12:53 PM PDT</span> ...``); the times of a window describe
    the impact, inside the update that writes them.
    """
    windows = read_windows(text, reference=reference)
    inside = [window.span for window in windows]
    heads = [
        item
        for item in read_times(text, reference=reference)
        if not any(start <= item.span[0] and item.span[1] <= end for start, end in inside)
    ]
    for index, item in enumerate(heads):
        end = heads[index + 1].span[0] if index + 1 < len(heads) else len(text)
        segment = text[item.span[0] : end]
        words = _words(text, item.span[0], end)
        inferred = not item.dated and stamp is None
        found.updates.append(Update(item.at, where, words, says_resolved(segment), inferred))
    found.windows.extend(_Window(window, where, stamp) for window in windows)
    return bool(heads)


def record_updates(
    row: Mapping[str, Any], text_columns: list[str], *, backfilled_at: datetime | None = None
) -> tuple[list[Update], list[TextWindow]]:
    """Every update and impact window ``row``'s text states (updates in time order, windows
    latest-said first). ``backfilled_at``: the record's back-filled time, whose stamps are
    not read as updates."""
    found = _read_row(row, text_columns, backfilled_at)
    return found.updates, [w.window for w in found.windows]


def _reference(row: Mapping[str, Any]) -> datetime | None:
    for name in ("declared", "impact_start", "resolved", "detected", "impact_end"):
        value = row.get(name)
        if isinstance(value, datetime):
            return value
    return None


def _read_row(
    row: Mapping[str, Any], text_columns: list[str], backfilled_at: datetime | None
) -> _Text:
    found = _Text()
    reference = _reference(row)
    for index, note in enumerate(row.get(_NOTES) or []):
        if not note:
            continue
        stamp, status, body = note_parts(note)
        real = stamp is not None and (backfilled_at is None or abs(stamp - backfilled_at) > _SAME)
        where = f"{_NOTES}[{index}]"
        dated = _read_text(
            body, where, stamp if real else reference, stamp if real else None, found
        )
        if real and stamp is not None:
            # The status names the update's own state; a body listing its own dated lines
            # speaks for them, not for the time it was posted.
            resolves = not dated and ((status in _RESOLVED_STATUSES) or says_resolved(body))
            found.updates.append(Update(stamp, where, _words(note, 0, len(note)), resolves))
    for column in text_columns:
        value = row.get(column)
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and text:
                _read_text(text, column, reference, None, found)
    found.updates.sort(key=lambda update: update.at)
    found.windows.sort(key=lambda w: w.said_at or w.window.end.at, reverse=True)
    return found


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [
        name
        for name, dtype in frame.schema.items()
        if name.startswith(FIELD_PREFIX)
        and (dtype == pl.String or (isinstance(dtype, pl.List) and dtype.inner == pl.String))
    ]


def _in_order(row: Mapping[str, Any], tolerance: timedelta) -> bool:
    """No duration or impact window negative, and the chain impact start <= detected <=
    declared <= resolved in order, beyond the checks' tolerance."""
    chain = [row[n] for n in ("impact_start", "detected", "declared", "resolved") if row[n]]
    pairs = [*itertools.pairwise(chain), *_spans(row)]
    return all(later - earlier > -tolerance for earlier, later in pairs)


def _spans(row: Mapping[str, Any]) -> list[tuple[datetime, datetime]]:
    spans = [*DEFINITIONS.values(), ("impact_start", "impact_end")]
    return [(row[a], row[b]) for a, b in spans if row[a] is not None and row[b] is not None]


def _backfill_plan(row: Mapping[str, Any], found: _Text) -> dict[str, Update] | None:
    if not found.updates:
        return None
    first = found.updates[0]
    resolved = next((u for u in reversed(found.updates) if u.resolves), None)
    if resolved is None or resolved.at <= first.at:
        return None
    plan = {"declared": first, "impact_start": first, "resolved": resolved}
    if row["detected"] is not None:
        plan["detected"] = first
    if row["impact_end"] is not None:
        plan["impact_end"] = resolved
    plan.update(_window_plan(found, ("impact_start", "impact_end")))
    return plan


def _window_plan(found: _Text, names: tuple[str, ...]) -> dict[str, Update]:
    if not found.windows:
        return {}
    latest = found.windows[0]
    window = latest.window
    ends = {
        "impact_start": Update(
            window.start.at,
            latest.where,
            window.words,
            False,
            inferred=not window.start.dated and latest.said_at is None,
        ),
        "impact_end": Update(
            window.end.at,
            latest.where,
            window.words,
            False,
            inferred=not window.end.dated and latest.said_at is None,
        ),
    }
    return {name: ends[name] for name in names}


@dataclass
class _Group:
    cells: list[TextCell] = field(default_factory=list)
    rows: int = 0
    wheres: set[str] = field(default_factory=set)


def _propose(
    row: Mapping[str, Any],
    plan: Mapping[str, Update],
    groups: Mapping[tuple[str, bool], _Group],
    name: str,
    tolerance: timedelta,
) -> bool:
    """Add ``plan``'s cells to the group ``name``: its sure part, or its guesses when a
    value's day was inferred."""
    group = groups[name, any(update.inferred for update in plan.values())]
    after = dict(row)
    after.update({name: update.at for name, update in plan.items()})
    if not _in_order(after, tolerance):
        return False
    cells = [
        TextCell(
            key=row[ROW_KEY],
            column=name,
            expected=to_json(row[name]),
            value=to_json(update.at),
            evidence=update.evidence,
        )
        for name, update in sorted(plan.items(), key=lambda item: TIMESTAMPS.index(item[0]))
        if row[name] != update.at
    ]
    if not cells:
        return False
    group.cells.extend(cells)
    group.rows += 1
    group.wheres.update(re.sub(r"\[\d+\]$", "", update.where) for update in plan.values())
    return True


_GUESS: Final = (
    " Guesses: the text writes no date for some of these times, so each was placed on the "
    "record's own day (or the next, after the time before it); an incident lasting over a "
    "day would be read a day short. Check them before enabling."
)


def _fill(
    check: str,
    groups: Mapping[tuple[str, bool], _Group],
    name: str,
    title: str,
    explanation: str,
) -> list[TextFill]:
    fills = []
    for inferred in (False, True):
        group = groups[name, inferred]
        if not group.cells:
            continue
        step = FillFromText(
            text_column=", ".join(sorted(group.wheres)),
            cells=group.cells,
            note="times read from the record's own text; each cell names the words",
        )
        fills.append(
            TextFill(
                check,
                title.format(rows=group.rows) + (", days inferred" if inferred else ""),
                explanation.format(rows=group.rows) + (_GUESS if inferred else ""),
                step,
                group.rows,
                needs_review=inferred,
            )
        )
    return fills


def text_fills(
    frame: pl.DataFrame, failing: Mapping[str, set[str]], *, tolerance: timedelta
) -> list[TextFill]:
    """Every fill the records' own text supports (see the module docstring).

    ``failing`` maps a check name to the row keys failing it (``zero_length_incident``,
    ``resolved_time_missing``); ``tolerance`` is the checks' order tolerance.
    """
    columns = _text_columns(frame)
    readable = [c for c in (_NOTES, *columns) if c in frame.columns]
    if not readable or ROW_KEY not in frame.columns:
        return []
    has_text = pl.any_horizontal(
        [
            (pl.col(c).list.len() > 0)
            if isinstance(frame.schema[c], pl.List)
            else pl.col(c).is_not_null()
            for c in readable
        ]
    ).fill_null(False)
    backfilled = failing.get("zero_length_incident", set())
    unresolved = failing.get("resolved_time_missing", set())
    lacking_impact = pl.col("impact_start").is_null() | pl.col("impact_end").is_null()
    keys = pl.col(ROW_KEY).is_in(
        pl.Series(sorted(backfilled | unresolved), dtype=pl.String).implode()
    )
    wanted = frame.filter(has_text & (keys | lacking_impact))
    groups = {
        (name, inferred): _Group()
        for name in ("backfill", "resolved", "impact")
        for inferred in (False, True)
    }
    for row in wanted.iter_rows(named=True):
        key = row[ROW_KEY]
        # All times equal and no resolved time: the declared time may well be real (a record
        # posted and never closed), so only its missing times are read from the text.
        if key in backfilled and row["resolved"] is not None:
            at = min((row[n] for n in TIMESTAMPS if row[n] is not None), default=None)
            plan = _backfill_plan(row, _read_row(row, columns, at))
            if plan is not None:
                _propose(row, plan, groups, "backfill", tolerance)
            continue
        found = _read_row(row, columns, None)
        if key in unresolved:
            resolved = next((u for u in reversed(found.updates) if u.resolves), None)
            if resolved is not None:
                _propose(row, {"resolved": resolved}, groups, "resolved", tolerance)
        missing = tuple(n for n in ("impact_start", "impact_end") if row[n] is None)
        if missing:
            _propose(row, _window_plan(found, missing), groups, "impact", tolerance)
    recovered = sum(groups["backfill", inferred].rows for inferred in (False, True))
    return [
        *_fill(
            "zero_length_incident",
            groups,
            "backfill",
            "back-filled records: real times from their text ({rows} rows)",
            "{rows} back-filled record(s) state their real times in their own text: declared "
            "and impact start from the first update, resolved from the last update saying it is "
            "resolved, the impact window where one is written. "
            f"{len(backfilled) - recovered} record(s) hold no usable time in their text and "
            "stay flagged.",
        ),
        *_fill(
            "resolved_time_missing",
            groups,
            "resolved",
            "resolved records without a resolved time: from their text ({rows} rows)",
            "{rows} resolved record(s) without a resolved time: taken from the last update "
            "saying the incident is resolved.",
        ),
        *_fill(
            "impact_window_in_text",
            groups,
            "impact",
            "impact windows written in the text ({rows} rows)",
            "{rows} record(s) without an impact start or end write their impact window "
            '("between ... and ...", "from ... to ..."): taken from the latest update that '
            "writes one.",
        ),
    ]
