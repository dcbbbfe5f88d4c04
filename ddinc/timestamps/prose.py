"""Times written in prose: status-page updates, comments, work notes.

Incident narratives state their times in words the column parsers never see:
``<span>12:53 PM PDT</span> Between 12:15 PM and 12:21 PM PDT we observed ...`` (AWS),
``2021-02-02T14:28:18.575Z`` (a Statuspage update), ``<strong>2011-07-28 03:06:00</strong>``
(a migrated history), ``Jan 5, 2024 at 11:50 PM EST``. :func:`read_times` finds them and
:func:`read_windows` finds impact windows (``between X and Y``, ``from X to/until Y``); each
value cites the exact words it came from (:attr:`TextTime.span` into the text given).

What is read, and the rules that keep a reading unambiguous:

- ISO 8601 dates with a time (``T`` or a space), optional seconds and fraction, with ``Z``,
  an offset (``+02:00``, ``-0700``), a zone word, or nothing: a dated ISO time with no zone
  is read as UTC and marked ``assumed_zone`` (how status pages and migrations write them).
- Clock times, 12-hour (``12:53 PM``, ``3:05pm``, ``9 AM`` is *not* read: a bare hour is too
  often something else) or 24-hour (``14:05``), optionally after a date (``Jan 5, 2024``,
  ``January 5th``, ``5 January 2024``, ``2024-01-05``, each optionally followed by ``at``)
  or before one (``11:23 PM PST on December 7``). A clock time needs a zone, written after
  it or after the other end of its window; without one it is not read.
- Zones are the words of :data:`ZONE_WORDS` only (fixed offsets, uppercase, e.g. ``PDT`` is
  UTC-7 whatever the date), ``PT``/``MT``/``CT``/``ET``, which follow daylight saving time
  on the date read, ``UTC+2`` / ``GMT-07:00`` offsets, and IANA names (``US/Pacific``).
  ``IST`` (India, Ireland or Israel) and other words that name several zones are not read.
  ``CST`` is US Central (as US providers write it), not China.
- A time without a date takes its date from the time read just before it in the same text,
  the first one from ``reference`` (the record's own time): it is the first occurrence of
  that wall-clock time in its own zone from :data:`LOOK_BACK` (6 hours) before that time on.
  Updates run forward, and look back only a little (``12:53 PM`` ... ``between 12:15 PM and
  12:21 PM``): so a list of updates rolls over midnight (``01:11 PM UTC`` ... ``02:54 AM
  UTC`` is the next night) while each follows the one before within 18 hours, and a
  window's end that reads before its start rolls over (``between 11:50 PM and 12:10 AM PST``
  lasts 20 minutes).

>>> from datetime import datetime, timezone
>>> text = "<span>12:53 PM PDT</span> Between 12:15 PM and 12:21 PM PDT we observed errors"
>>> on = datetime(2023, 6, 13, 20, 0, tzinfo=timezone.utc)
>>> [(t.at.isoformat(), t.words) for t in read_times(text, reference=on)]
[('2023-06-13T19:53:00+00:00', '12:53 PM PDT'), ('2023-06-13T19:15:00+00:00', '12:15 PM'), \
('2023-06-13T19:21:00+00:00', '12:21 PM PDT')]
>>> window = read_windows(text, reference=on)[0]
>>> window.start.at.isoformat(), window.end.at.isoformat(), window.words
('2023-06-13T19:15:00+00:00', '2023-06-13T19:21:00+00:00', 'Between 12:15 PM and 12:21 PM PDT')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DST_ZONE_WORDS",
    "LOOK_BACK",
    "ZONE_WORDS",
    "TextTime",
    "TextWindow",
    "read_times",
    "read_windows",
]

# Zone words read as fixed offsets from UTC, in hours. Each names one offset whatever the date:
# PDT is UTC-7 even when written in January (the writer said so).
ZONE_WORDS: Final[dict[str, float]] = {
    "Z": 0,
    "UTC": 0,
    "GMT": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
}
# Zone words that name a region rather than an offset: daylight saving time follows the date.
DST_ZONE_WORDS: Final[dict[str, str]] = {
    "PT": "America/Los_Angeles",
    "MT": "America/Denver",
    "CT": "America/Chicago",
    "ET": "America/New_York",
}

_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)


def _month(group: str) -> str:
    return (
        rf"(?i:(?P<{group}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
        r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?))"
    )


_ORDINAL: Final = r"(?i:st|nd|rd|th)?"
# Before the clock: 2024-01-05, Jan 5(, 2024), January 5th, 5 January( 2024).
_DATE: Final = (
    r"(?:(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    rf"|{_month('mon')}\.?\s+(?P<wd>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<wy>\d{{4}}))?"
    rf"|(?P<dd>\d{{1,2}}){_ORDINAL}\s+{_month('dmon')}\.?(?:,?\s+(?P<dy>\d{{4}}))?)"
)
# After the clock and zone: "11:23 PM PST on December 7(, 2021)" (AWS).
_ON_DATE: Final = (
    rf"(?:,?\s+(?i:on)\s+(?:{_month('tmon')}\.?\s+(?P<td>\d{{1,2}}){_ORDINAL}"
    r"(?:,?\s+(?P<ty>\d{4}))?|(?P<ti>\d{4}-\d{2}-\d{2})))"
)
_CLOCK: Final = r"(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d{1,6})?\d*)?"
_AMPM: Final = r"(?:\s?(?P<ampm>(?i:[ap]\.?m\.?))(?![A-Za-z]))"
_ZONE_WORD: Final = "|".join(
    sorted((*ZONE_WORDS, *DST_ZONE_WORDS), key=lambda word: (-len(word), word))
)
_ZONE: Final = (
    r"(?:\s?\(?(?P<zone>"
    r"(?:UTC|GMT)\s?[+-](?:1[0-4]|0?\d)(?::?[0-5]\d)?"
    r"|[+-](?:1[0-4]|0\d):?[0-5]\d"
    rf"|(?:{_ZONE_WORD})(?![A-Za-z0-9])"
    r"|(?:US|America|Europe|Asia|Australia|Africa|Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?"
    r")\)?)"
)
# An optional date, then a clock, then an optional AM/PM and zone. A "T" joins ISO dates.
_TIME: Final = re.compile(
    rf"(?<![\w:.])(?:{_DATE}(?:T|,?\s+(?:(?i:at)\s+)?))?{_CLOCK}(?![\d])"
    rf"{_AMPM}?{_ZONE}?{_ON_DATE}?"
)
_JOIN: Final = re.compile(r"\s*(?i:and|to|until|through|till|-|\u2013|\u2014)\s*")
_OPEN: Final = re.compile(r"(?i:\b(?:between|from))\s+$")
_DAY: Final = timedelta(days=1)
LOOK_BACK: Final = timedelta(hours=6)
"""How far before the time read just before it a time without a date may fall."""


@dataclass(frozen=True)
class TextTime:
    """One time read from a text.

    ``at`` is UTC; ``span`` the (start, end) of the words in the text given, ``words`` those
    words; ``dated`` whether the text wrote the date (else it came from the reference);
    ``assumed_zone`` whether no zone was written (a dated ISO time read as UTC).
    """

    at: datetime
    span: tuple[int, int]
    words: str
    dated: bool
    assumed_zone: bool = False


@dataclass(frozen=True)
class TextWindow:
    """An impact window written as ``between X and Y`` or ``from X to Y``."""

    start: TextTime
    end: TextTime
    span: tuple[int, int]
    words: str


@dataclass(frozen=True)
class _Clock:
    """A match before the zone and date are settled."""

    match: re.Match[str]
    wall: time
    day: date | None
    zone: tzinfo | None


def _zone(word: str | None) -> tzinfo | None:
    if word is None:
        return None
    word = word.strip("()").replace(" ", "")
    if word in ZONE_WORDS:
        return timezone(timedelta(hours=ZONE_WORDS[word]))
    if word in DST_ZONE_WORDS:
        return ZoneInfo(DST_ZONE_WORDS[word])
    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", word)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _wall(match: re.Match[str]) -> time | None:
    hour, minute = int(match.group("h")), int(match.group("min"))
    second = int(match.group("s") or 0)
    micro = int((match.group("f") or ".0")[1:].ljust(6, "0")[:6])
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second, micro)


def _word_date(
    month: str, day: str, year: str | None, reference: datetime | None
) -> tuple[date | None, bool]:
    """A date written with a month name; without a year, the year nearest ``reference``."""
    number = _MONTHS.index(month[:3].lower()) + 1
    if year:
        return date(int(year), number, int(day)), True
    if reference is None:
        return None, False
    options = []
    for candidate in (reference.year - 1, reference.year, reference.year + 1):
        try:
            options.append(date(candidate, number, int(day)))
        except ValueError:
            continue
    if not options:
        return None, False
    target = reference.date()
    return min(options, key=lambda d: abs((d - target).days)), True


def _day(match: re.Match[str], reference: datetime | None) -> tuple[date | None, bool]:
    """The date written before (or, with "on", after) the clock, and whether the match is
    valid at all (no 30 February)."""
    group = match.group
    try:
        if group("y"):
            return date(int(group("y")), int(group("m")), int(group("d"))), True
        if group("mon"):
            return _word_date(group("mon"), group("wd"), group("wy"), reference)
        if group("dmon"):
            return _word_date(group("dmon"), group("dd"), group("dy"), reference)
        if group("ti"):
            return date.fromisoformat(group("ti")), True
        if group("tmon"):
            return _word_date(group("tmon"), group("td"), group("ty"), reference)
    except ValueError:
        return None, False
    return None, True


def _clocks(text: str, reference: datetime | None) -> list[_Clock]:
    found = []
    for match in _TIME.finditer(text):
        wall = _wall(match)
        if wall is None:
            continue
        day, valid = _day(match, reference)
        if not valid:
            continue
        zone = _zone(match.group("zone"))
        if zone is None and match.group("zone") is not None:
            continue  # a zone word that names no zone (an unknown IANA name)
        # A clock without a zone is kept: it may borrow one from the other end of its window.
        found.append(_Clock(match, wall, day, zone))
    return found


def _placed(clock: _Clock, zone: tzinfo, reference: datetime | None) -> tuple[datetime, bool]:
    """The instant of ``clock`` read in ``zone``, and whether the text wrote its date."""
    if clock.day is not None:
        return datetime.combine(clock.day, clock.wall, zone).astimezone(UTC), True
    assert reference is not None
    local = reference.astimezone(zone).date()
    earliest = reference - LOOK_BACK
    options = (
        datetime.combine(local + shift * _DAY, clock.wall, zone).astimezone(UTC)
        for shift in (-1, 0, 1, 2)
    )
    return next(at for at in options if at >= earliest), False


def _text_time(
    text: str, clock: _Clock, zone: tzinfo | None, reference: datetime | None
) -> TextTime | None:
    match = clock.match
    iso = match.group("y") is not None
    assumed = False
    if zone is None:
        if not iso:
            return None
        zone, assumed = UTC, True
    if clock.day is None and reference is None:
        return None
    at, dated = _placed(clock, zone, reference)
    start, end = match.span()
    return TextTime(at, (start, end), text[start:end], dated, assumed)


def read_times(text: str, *, reference: datetime | None = None) -> list[TextTime]:
    """Every time written in ``text``, in the order written.

    ``reference`` (timezone-aware) gives the date of the first time written without one;
    without it such times are not read. A clock without a zone takes the zone of the window
    it ends or starts (``between 12:15 PM and 12:21 PM PDT``); otherwise it is not read (see
    the module docstring for every rule).

    >>> [t.words for t in read_times("fixed at 14:05 UTC (ratio 3:1, build 1:00)")]
    []
    >>> from datetime import datetime, timezone
    >>> on = datetime(2024, 1, 5, 9, tzinfo=timezone.utc)
    >>> [t.at.isoformat() for t in read_times("fixed at 14:05 UTC", reference=on)]
    ['2024-01-05T14:05:00+00:00']
    >>> [t.at.isoformat() for t in read_times("since 11:30 PM EST", reference=on)]
    ['2024-01-05T04:30:00+00:00']
    >>> late = datetime(2022, 1, 10, 22, 50, tzinfo=timezone.utc)
    >>> [t.at.isoformat() for t in read_times("10:50 PM UTC looking. 04:26 AM UTC fixed. "
    ...     "11:40 AM UTC postmortem", reference=late)]
    ['2022-01-10T22:50:00+00:00', '2022-01-11T04:26:00+00:00', '2022-01-11T11:40:00+00:00']
    """
    _, _, placed = _read(text, reference)
    return [placed[index] for index in sorted(placed)]


def _read(
    text: str, reference: datetime | None
) -> tuple[list[_Clock], list[tuple[int, int]], dict[int, TextTime]]:
    """The clocks of ``text``, its windows (clock index pairs), and each clock read (by index).

    A time without a date is placed nearest the time read just before it (the first one
    nearest ``reference``), so a list of updates rolls over midnight; a window's end without a
    date follows its start.
    """
    clocks = _clocks(text, reference)
    pairs = _pairs(text, clocks)
    zones = _window_zones(clocks, pairs)
    opened_by = {second: first for first, second in pairs}
    placed: dict[int, TextTime] = {}
    running = reference
    for index, clock in enumerate(clocks):
        zone = clock.zone or zones.get(index)
        item = _text_time(text, clock, zone, running)
        if item is None:
            continue
        start = placed.get(opened_by.get(index, -1))
        if start is not None and not item.dated:
            item = _after(item, clock.wall, zone or UTC, start.at)
        placed[index] = item
        running = item.at
    for first, second in pairs:
        # "between 7:35 AM PST and 1:15 PM PST on December 7": the date written once, at the
        # end, is the start's too (the day before, when the start would then be later).
        start, end = placed.get(first), placed.get(second)
        if start is not None and end is not None and end.dated and not start.dated:
            zone = clocks[first].zone or zones.get(first) or UTC
            on_end_day = datetime.combine(end.at.astimezone(zone).date(), clocks[first].wall, zone)
            if on_end_day > end.at:
                on_end_day -= _DAY
            at = on_end_day.astimezone(UTC)
            placed[first] = TextTime(at, start.span, start.words, False, start.assumed_zone)
    return clocks, pairs, placed


def _after(item: TextTime, wall: time, zone: tzinfo, start: datetime) -> TextTime:
    """``item`` on its window start's day, or the next when it would read before the start."""
    on_start_day = datetime.combine(start.astimezone(zone).date(), wall, zone)
    at = on_start_day.astimezone(UTC)
    if at < start:
        at = (on_start_day + _DAY).astimezone(UTC)
    return TextTime(at, item.span, item.words, item.dated, item.assumed_zone)


def _window_zones(clocks: list[_Clock], pairs: list[tuple[int, int]]) -> dict[int, tzinfo]:
    """For clocks without a zone, the zone of the window's other end (by clock index)."""
    lent: dict[int, tzinfo] = {}
    for first, second in pairs:
        a, b = clocks[first], clocks[second]
        if a.zone is None and b.zone is not None:
            lent[first] = b.zone
        elif b.zone is None and a.zone is not None:
            lent[second] = a.zone
    return lent


def _pairs(text: str, clocks: list[_Clock]) -> list[tuple[int, int]]:
    """(start clock, end clock) index pairs joined as a window in ``text``."""
    pairs = []
    for index, clock in enumerate(clocks[:-1]):
        following = clocks[index + 1]
        between = text[clock.match.end() : following.match.start()]
        before = text[max(0, clock.match.start() - 12) : clock.match.start()]
        if _JOIN.fullmatch(between) and _OPEN.search(before):
            pairs.append((index, index + 1))
    return pairs


def read_windows(text: str, *, reference: datetime | None = None) -> list[TextWindow]:
    """Impact windows written in ``text`` (``between X and Y``, ``from X to/until Y``).

    The end rolls over midnight when it reads before the start and its date was not written.

    >>> from datetime import datetime, timezone
    >>> on = datetime(2024, 1, 5, 8, tzinfo=timezone.utc)
    >>> w = read_windows("Between 11:50 PM and 12:10 AM PST, errors rose.", reference=on)[0]
    >>> w.start.at.isoformat(), w.end.at.isoformat()
    ('2024-01-05T07:50:00+00:00', '2024-01-05T08:10:00+00:00')
    """
    clocks, pairs, placed = _read(text, reference)
    windows = []
    for first, second in pairs:
        start, end = placed.get(first), placed.get(second)
        if start is None or end is None or end.at < start.at:
            continue
        opener = _OPEN.search(text[: clocks[first].match.start()])
        begin = opener.start() if opener else start.span[0]
        words = text[begin : end.span[1]]
        windows.append(TextWindow(start, end, (begin, end.span[1]), words))
    return windows
