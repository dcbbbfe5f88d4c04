"""Property tests: rendered instants round-trip, and every value is read or flagged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import polars as pl
from hypothesis import HealthCheck, given, settings

from ddinc.errors import LoadError
from ddinc.schema import Timestamp
from ddinc.timestamps import (
    NULL_SPELLINGS,
    DateOrder,
    ParsedTimestamps,
    normalize_nulls,
)
from tests.timestamps._helpers import parse

# -- properties ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """A hand-written way to print an instant, and how much of it the text keeps."""

    name: str
    render: Callable[[datetime, datetime, Callable[[int], bool]], str]  # (instant, wall, coin)
    precision: timedelta
    order: DateOrder | None = None
    aware: bool = False


def _pad(n: int, coin: Callable[[int], bool]) -> str:
    return f"{n:02d}" if coin(0) else str(n)


def _offset(instant: datetime, coin: Callable[[int], bool]) -> tuple[datetime, str]:
    hours = (instant.microsecond % 27) - 13  # a deterministic spread of offsets from -13 to +13
    local = instant + timedelta(hours=hours)
    if hours == 0 and coin(1):
        return local, "Z"
    sign = "+" if hours >= 0 else "-"
    if coin(2):
        return local, f"{sign}{abs(hours):02d}:00"
    return local, f"{sign}{abs(hours):02d}00" if coin(3) else f"{sign}{abs(hours):02d}"


def _twelve(t: datetime, coin: Callable[[int], bool], seconds: bool) -> str:
    hour = t.hour % 12 or 12
    text = f"{_pad(hour, coin)}:{t.minute:02d}" + (f":{t.second:02d}" if seconds else "")
    return text + (" PM" if t.hour >= 12 else " AM")


def _numeric(order: DateOrder, sep: str, year: int, clock: str) -> Style:
    def render(_: datetime, t: datetime, coin: Callable[[int], bool]) -> str:
        day, month = _pad(t.day, coin), _pad(t.month, coin)
        first, second = (day, month) if order is DateOrder.DAY_FIRST else (month, day)
        y = f"{t.year:04d}" if year == 4 else f"{t.year % 100:02d}"
        times = {
            "": "",
            "hm": f" {t.hour:02d}:{t.minute:02d}",
            "hms": f" {t.hour:02d}:{t.minute:02d}:{t.second:02d}",
            "12h": " " + _twelve(t, coin, seconds=False),
        }
        return f"{first}{sep}{second}{sep}{y}{times[clock]}"

    precision = {"": timedelta(days=1), "hms": timedelta(seconds=1)}.get(
        clock, timedelta(minutes=1)
    )
    return Style(f"{order.value} {sep} {year} {clock}", render, precision, order)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _iso_offset(instant: datetime, _: datetime, coin: Callable[[int], bool]) -> str:
    local, offset = _offset(instant, coin)
    return local.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset


ORDER_FREE = [
    Style("iso offset us", _iso_offset, timedelta(microseconds=1), aware=True),
    Style(
        "iso offset minutes",
        lambda i, _, c: "{:%Y-%m-%d %H:%M}{}".format(*_offset(i, c)),
        timedelta(minutes=1),
        aware=True,
    ),
    Style(
        "pagerduty",
        lambda i, _, c: i.strftime("%Y-%m-%d %H:%M:%S UTC"),
        timedelta(seconds=1),
        aware=True,
    ),
    Style("iso naive T", lambda _, t, c: t.strftime("%Y-%m-%dT%H:%M:%S"), timedelta(seconds=1)),
    Style(
        "iso naive ms",
        lambda _, t, c: t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        timedelta(milliseconds=1),
    ),
    Style("iso date", lambda _, t, c: t.strftime("%Y-%m-%d"), timedelta(days=1)),
    Style(
        "epoch s",
        lambda i, _, c: str(int(i.timestamp())),
        timedelta(seconds=1),
        aware=True,
    ),
    Style(
        "epoch s fraction",
        lambda i, _, c: f"{int(i.timestamp())}.{i.microsecond:06d}",
        timedelta(microseconds=1),
        aware=True,
    ),
    Style(
        "epoch ms",
        lambda i, _, c: str(int(i.timestamp()) * 1000 + i.microsecond // 1000),
        timedelta(milliseconds=1),
        aware=True,
    ),
    Style(
        "jira",
        lambda _, t, c: f"{t.day}/{MONTHS[t.month - 1]}/{t.year % 100:02d} " + _twelve(t, c, False),
        timedelta(minutes=1),
    ),
    Style(
        "jira 24h",
        lambda _, t, c: (
            f"{_pad(t.day, c)}/{MONTHS[t.month - 1]}/{t.year} {t.hour:02d}:{t.minute:02d}"
        ),
        timedelta(minutes=1),
    ),
    Style(
        "month name first",
        lambda _, t, c: f"{MONTHS[t.month - 1]} {t.day}, {t.year} " + _twelve(t, c, True),
        timedelta(seconds=1),
    ),
]
NUMERIC = {
    order: [
        _numeric(order, sep, year, clock)
        for sep in "/-."
        for year in (4, 2)
        for clock in ("", "hm", "hms", "12h")
    ]
    for order in DateOrder
}
# The 24-hour numeric styles: a column of these with nothing to prove its order is read
# day-first (a 12-hour clock would make it month-first; see test_detect).
NUMERIC_24H = {
    order: [
        _numeric(order, sep, year, clock)
        for sep in "/-."
        for year in (4, 2)
        for clock in ("", "hm", "hms")
    ]
    for order in DateOrder
}
ZONES = {
    "UTC": timedelta(0),
    "Etc/GMT-5": timedelta(hours=5),
    "Asia/Kolkata": timedelta(hours=5, minutes=30),
}

# 1974..2068: inside both the epoch ranges and two-digit-year pivots (69 -> 2069).
instants = st.datetimes(
    min_value=datetime(1974, 1, 1), max_value=datetime(2068, 12, 30), timezones=st.just(UTC)
)


def _truncate(instant: datetime, wall_offset: timedelta, precision: timedelta) -> datetime:
    """The instant the text can still say: truncated in wall-clock time, like the text."""
    wall = instant.replace(tzinfo=None) + wall_offset
    epoch = datetime(1970, 1, 1)
    kept = epoch + (wall - epoch) // precision * precision
    return (kept - wall_offset).replace(tzinfo=UTC)


@st.composite
def rendered(draw: st.DrawFn, styles: list[Style], zone: str) -> tuple[str, datetime]:
    instant = draw(instants)
    style = draw(st.sampled_from(styles))
    bits = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    wall = instant.replace(tzinfo=None) + ZONES[zone]
    text = style.render(instant, wall, lambda i: bits[i])
    if style.aware:
        # Its own offset or epoch: the text truncates in its own local time, which is a whole
        # number of hours from UTC, so truncating in UTC gives the same instant.
        return text, _truncate(instant, timedelta(0), style.precision)
    return text, _truncate(instant, ZONES[zone], style.precision)


@st.composite
def columns(draw: st.DrawFn) -> tuple[list[tuple[str, datetime]], str, DateOrder | None]:
    zone = draw(st.sampled_from(sorted(ZONES)))
    order = draw(st.sampled_from([None, DateOrder.DAY_FIRST, DateOrder.MONTH_FIRST]))
    # Without a given order, only day-first 24-hour numbers: a month-first column whose days
    # are all <= 12 is legitimately read day-first (the documented assumption), and a 12-hour
    # clock with nothing proving the order is legitimately read month-first.
    numeric = NUMERIC[order] if order is not None else NUMERIC_24H[DateOrder.DAY_FIRST]
    pool = draw(st.lists(st.sampled_from([*ORDER_FREE, *numeric]), min_size=1, max_size=4))
    cells = draw(st.lists(rendered(pool, zone), min_size=1, max_size=30))
    return cells, zone, order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    style=st.sampled_from(
        [*ORDER_FREE, *NUMERIC[DateOrder.DAY_FIRST], *NUMERIC[DateOrder.MONTH_FIRST]]
    ),
    data=st.data(),
)
def test_property_each_style_round_trips(style: Style, data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(sorted(ZONES)))
    cells = data.draw(st.lists(rendered([style], zone), min_size=1, max_size=10))
    texts, expected = zip(*cells, strict=True)
    parsed = parse(list(texts), tz=zone, order=style.order)
    assert parsed.values.to_list() == list(expected), texts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column=columns())
def test_property_mixed_styles_round_trip(
    column: tuple[list[tuple[str, datetime]], str, DateOrder | None],
) -> None:
    cells, zone, order = column
    texts, expected = zip(*cells, strict=True)
    parsed = parse(list(texts), tz=zone, order=order)
    assert parsed.values.to_list() == list(expected), texts
    assert not parsed.invalid.any()


date_like = st.from_regex(
    r"\A\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}( \d{1,2}:\d{1,2}(:\d{1,2})?( [AP]M)?)?\Z"
) | st.from_regex(
    r"\A\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?\Z"
)
any_text = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.sampled_from(NULL_SPELLINGS),
    date_like,
    st.from_regex(r"\A\d{1,14}(\.\d{1,8})?\Z"),
)


def _check_invariants(raw: list[str | None], parsed: ParsedTimestamps) -> None:
    n = len(raw)
    assert [len(parsed.values), len(parsed.invalid)] == [n, n]
    assert [len(parsed.nonexistent), len(parsed.ambiguous)] == [n, n]
    assert parsed.values.dtype == Timestamp
    present = pl.select(normalize_nulls(pl.lit(pl.Series(raw, dtype=pl.String)))).to_series()
    rows = zip(
        present.is_not_null(),
        parsed.values.is_not_null(),
        parsed.invalid,
        parsed.nonexistent,
        parsed.ambiguous,
        strict=True,
    )
    for text, (has_text, has_value, invalid, gap, overlap) in zip(raw, rows, strict=True):
        if has_text:  # never silently null: exactly one of read, invalid, DST gap
            assert [has_value, invalid, gap].count(True) == 1, text
        else:
            assert [has_value, invalid, gap, overlap] == [False] * 4, text
        assert not overlap or has_value, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(any_text, max_size=25),
    order=st.sampled_from(list(DateOrder)),
    tz=st.sampled_from(["UTC", "Europe/London", "America/New_York"]),
)
def test_property_every_value_is_read_or_flagged(
    raw: list[str | None], order: DateOrder, tz: str
) -> None:
    raw = [*raw, "2024-01-12T15:45:00Z"]  # one readable value: no "nothing readable" error
    _check_invariants(raw, parse(raw, order=order, tz=tz))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.lists(any_text, min_size=1, max_size=25))
def test_property_detected_order_is_read_or_flagged(raw: list[str | None]) -> None:
    raw = [*raw, "2024-01-12T15:45:00Z"]
    outcome: ParsedTimestamps | LoadError
    try:
        outcome = parse(raw)
    except LoadError as error:
        outcome = error
    if isinstance(outcome, ParsedTimestamps):
        _check_invariants(raw, outcome)
        return
    # The only reason left to raise: the column proves both orders. Then each given order
    # must read the column, flagging the values of the other order.
    assert "day-first and month-first" in str(outcome)
    for order in DateOrder:
        given_order = parse(raw, order=order)
        _check_invariants(raw, given_order)
        assert given_order.invalid.any()
