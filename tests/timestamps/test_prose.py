"""Times read from prose: the written forms, the zone words, dates carried and rolled over,
impact windows, and what is refused. Property tests write generated instants in each form
and read them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.timestamps.prose import DST_ZONE_WORDS, ZONE_WORDS, read_times, read_windows

ON = datetime(2023, 6, 13, 20, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "words", "at"),
    [
        (
            "2021-02-02T14:28:18.575Z resolved",
            "2021-02-02T14:28:18.575Z",
            utc(2021, 2, 2, 14, 28, 18, 575000),
        ),
        (
            "<strong>2011-07-28 03:06:00</strong> - done",
            "2011-07-28 03:06:00",
            utc(2011, 7, 28, 3, 6),
        ),
        ("at 2024-01-01T10:00:00-07:00.", "2024-01-01T10:00:00-07:00", utc(2024, 1, 1, 17)),
        (
            "On Jan 5, 2024 at 11:50 PM EST we",
            "Jan 5, 2024 at 11:50 PM EST",
            utc(2024, 1, 6, 4, 50),
        ),
        ("<span>12:53 PM PDT</span> We", "12:53 PM PDT", utc(2023, 6, 13, 19, 53)),
        ("since 12:15 p.m. PDT.", "12:15 p.m. PDT", utc(2023, 6, 13, 19, 15)),
        ("by 14:05 UTC", "14:05 UTC", utc(2023, 6, 13, 14, 5)),
        ("by 14:05:09 GMT", "14:05:09 GMT", utc(2023, 6, 13, 14, 5, 9)),
        ("at 5:05pm (GMT+2)", "5:05pm (GMT+2)", utc(2023, 6, 13, 15, 5)),
        ("at 9:00 PM CEST", "9:00 PM CEST", utc(2023, 6, 13, 19)),
        ("at 9:00 PM BST", "9:00 PM BST", utc(2023, 6, 13, 20)),
        ("at 09:00 US/Pacific", "09:00 US/Pacific", utc(2023, 6, 13, 16)),
        # PT follows daylight saving time on the date read; PST does not.
        ("Dec 1, 2023 9:00 AM PT", "Dec 1, 2023 9:00 AM PT", utc(2023, 12, 1, 17)),
        ("Jun 1, 2023 9:00 AM PT", "Jun 1, 2023 9:00 AM PT", utc(2023, 6, 1, 16)),
        ("Jun 1, 2023 9:00 AM PST", "Jun 1, 2023 9:00 AM PST", utc(2023, 6, 1, 17)),
        ("January 5th 2:30 pm CST", "January 5th 2:30 pm CST", utc(2023, 1, 5, 20, 30)),
        (
            "Start: 9 August 2023 10:00 US/Pacific",
            "9 August 2023 10:00 US/Pacific",
            utc(2023, 8, 9, 17),
        ),
        ("at 11:23 PM PST on Dec 7, 2021", "11:23 PM PST on Dec 7, 2021", utc(2021, 12, 8, 7, 23)),
    ],
)
def test_written_forms(text: str, words: str, at: datetime) -> None:
    found = read_times(text, reference=ON)
    assert [(t.words, t.at) for t in found] == [(words, at)]
    start, end = found[0].span
    assert text[start:end] == words


@pytest.mark.parametrize(
    "text",
    [
        "ratio 3:1, build 1:00, at 10:00",  # no zone: not a time
        "at 10:00 IST",  # India, Ireland or Israel: refused
        "at 10:00 PM in the afternoon",  # no zone
        "at 25:00 UTC and 13:00 PM UTC and 10:61 UTC",  # impossible clocks
        "at 10:00 Mars/Olympus",  # no such zone
        "on 2023-02-30 10:00 UTC",  # no such date
    ],
)
def test_what_is_not_read(text: str) -> None:
    assert read_times(text, reference=ON) == []


def test_a_dated_iso_time_without_zone_is_utc_and_says_it_was_assumed() -> None:
    (found,) = read_times("2011-07-28 03:06:00 - resolved")
    assert (found.at, found.assumed_zone, found.dated) == (utc(2011, 7, 28, 3, 6), True, True)
    (marked,) = read_times("2011-07-28 03:06:00 UTC - resolved")
    assert not marked.assumed_zone


def test_times_without_a_date_need_a_reference() -> None:
    assert read_times("at 12:53 PM PDT") == []
    (found,) = read_times("at 12:53 PM PDT", reference=ON)
    assert not found.dated


def test_the_date_is_the_first_from_6_hours_before_the_reference_in_the_times_own_zone() -> None:
    # 00:30 UTC on the 14th is 5:30 PM PDT on the 13th: "11:50 PM PDT" is that evening,
    # not the evening of the 14th (local date of the reference, not its UTC date).
    late = utc(2023, 6, 14, 0, 30)
    (found,) = read_times("at 11:50 PM PDT", reference=late)
    assert found.at == utc(2023, 6, 14, 6, 50)
    (early,) = read_times("at 12:10 AM PDT", reference=utc(2023, 6, 14, 6, 50))
    assert early.at == utc(2023, 6, 14, 7, 10)


@pytest.mark.parametrize(
    ("text", "start", "end", "words"),
    [
        (
            "<span>12:53 PM PDT</span> Between 12:15 PM and 12:21 PM PDT we observed errors",
            utc(2023, 6, 13, 19, 15),
            utc(2023, 6, 13, 19, 21),
            "Between 12:15 PM and 12:21 PM PDT",
        ),
        (
            "from 11:50 PM PDT to 12:20 AM PDT, requests failed",
            utc(2023, 6, 14, 6, 50),
            utc(2023, 6, 14, 7, 20),
            "from 11:50 PM PDT to 12:20 AM PDT",
        ),
        (
            "From Jun 12, 2023 10:00 PM until Jun 13, 2023 2:00 AM UTC",
            utc(2023, 6, 12, 22),
            utc(2023, 6, 13, 2),
            "From Jun 12, 2023 10:00 PM until Jun 13, 2023 2:00 AM UTC",
        ),
        (
            # AWS's summary of 2021-12-07: the date written once, at the end.
            "Between 7:35 AM PST and 1:15 PM PST on December 7, 2021, we saw errors",
            utc(2021, 12, 7, 15, 35),
            utc(2021, 12, 7, 21, 15),
            "Between 7:35 AM PST and 1:15 PM PST on December 7, 2021",
        ),
        (
            "Between 11:23 PM PST on December 7 and 3:14 AM PST on December 8, we",
            # No year: the one nearest the reference (June 2023).
            utc(2023, 12, 8, 7, 23),
            utc(2023, 12, 8, 11, 14),
            "Between 11:23 PM PST on December 7 and 3:14 AM PST on December 8",
        ),
        (
            "between 2023-06-13 09:00 and 11:00 US/Pacific",
            utc(2023, 6, 13, 16),
            utc(2023, 6, 13, 18),
            "between 2023-06-13 09:00 and 11:00 US/Pacific",
        ),
    ],
)
def test_impact_windows(text: str, start: datetime, end: datetime, words: str) -> None:
    reference = utc(2023, 6, 14, 1)
    (window,) = read_windows(text, reference=reference)
    assert (window.start.at, window.end.at, window.words) == (start, end, words)
    assert text[window.span[0] : window.span[1]] == words


def test_a_list_of_updates_runs_forward_over_midnight_and_looks_back_a_little() -> None:
    text = (
        "<div>01:11 PM UTC investigating</div><div>02:54 AM UTC resolved; between 12:15 AM"
        " and 12:40 AM UTC errors peaked</div><div>11:40 AM UTC postmortem</div>"
    )
    found = read_times(text, reference=utc(2023, 9, 13, 13, 11, 54))
    assert [t.at for t in found] == [
        utc(2023, 9, 13, 13, 11),
        utc(2023, 9, 14, 2, 54),
        utc(2023, 9, 14, 0, 15),
        utc(2023, 9, 14, 0, 40),
        utc(2023, 9, 14, 11, 40),
    ]


def test_a_list_of_times_is_not_a_window() -> None:
    text = "Updates at 10:00 UTC and 11:00 UTC. We saw errors at 12:00 UTC to some hosts."
    assert read_windows(text, reference=ON) == []
    assert len(read_times(text, reference=ON)) == 3


# --- round trips -------------------------------------------------------------------------

FIXED = sorted(word for word in ZONE_WORDS if word != "Z")
instants = st.datetimes(
    min_value=datetime(1995, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(second=0, microsecond=0))
# A reference from 6 h after the time back to (not quite) 18 h before it: the time lies in
# the 24 hours that start 6 h before the reference.
nearby = st.integers(-6 * 60, 18 * 60 - 1).map(lambda minutes: -timedelta(minutes=minutes))


def clock12(local: datetime) -> str:
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'PM' if local.hour >= 12 else 'AM'}"


def in_zone(at: datetime, word: str) -> datetime:
    return at.astimezone(timezone(timedelta(hours=ZONE_WORDS[word])))


@pytest.mark.slow
@given(
    st.datetimes(
        min_value=datetime(1995, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    )
)
def test_round_trip_iso(at: datetime) -> None:
    for text in (
        at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        at.isoformat(),
        at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        at.astimezone(timezone(timedelta(hours=-7))).isoformat(),
    ):
        assert [t.at for t in read_times(f"update <b>{text}</b> resolved")] == [at], text


@pytest.mark.slow
@given(instants, st.sampled_from(FIXED), nearby)
def test_round_trip_clocks_with_zone_words(at: datetime, word: str, shift: timedelta) -> None:
    local = in_zone(at, word)
    reference = at + shift
    forms = {
        "12-hour": f"at {clock12(local)} {word} we",
        "24-hour": f"at {local:%H:%M} {word} we",
        "dated": f"on {local:%b} {local.day}, {local.year} at {clock12(local)} {word}",
        "long month": f"{local:%B} {local.day} {local:%H:%M} {word}",
        "day first": f"{local.day} {local:%B} {local.year} {local:%H:%M} {word}",
        "dated after": f"at {clock12(local)} {word} on {local:%B} {local.day}, {local.year}",
    }
    for form, text in forms.items():
        found = read_times(text, reference=reference)
        assert [t.at for t in found] == [at], (form, text)
        assert found[0].words in text


@pytest.mark.slow
@given(instants, st.sampled_from(sorted(DST_ZONE_WORDS)))
def test_round_trip_dst_zone_words(at: datetime, word: str) -> None:
    local = at.astimezone(ZoneInfo(DST_ZONE_WORDS[word]))
    # A wall-clock time that happens twice cannot name one instant: not this property.
    if local.fold or local.replace(fold=1).utcoffset() != local.utcoffset():
        return
    text = f"{local:%b} {local.day}, {local.year} {clock12(local)} {word}"
    assert [t.at for t in read_times(text)] == [at], text


@pytest.mark.slow
@given(
    instants,
    st.integers(1, 23 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.sampled_from(FIXED),
    nearby,
    st.sampled_from(("Between {} and {}", "from {} to {}", "From {} until {}")),
)
def test_round_trip_windows(
    start: datetime, length: timedelta, word: str, shift: timedelta, shape: str
) -> None:
    end = start + length
    first, second = in_zone(start, word), in_zone(end, word)
    text = shape.format(clock12(first), f"{clock12(second)} {word}") + " we saw errors."
    (window,) = read_windows(text, reference=start + shift)
    assert (window.start.at, window.end.at) == (start, end), text


@pytest.mark.slow
@given(
    instants, st.lists(st.integers(0, 18 * 60 - 1), min_size=1, max_size=6), st.sampled_from(FIXED)
)
def test_round_trip_a_list_of_updates_without_dates(
    start: datetime, gaps: list[int], word: str
) -> None:
    times = [start]
    for gap in gaps:
        times.append(times[-1] + timedelta(minutes=gap))
    text = "".join(f"<li>{clock12(in_zone(at, word))} {word} - update</li>" for at in times)
    assert [t.at for t in read_times(text, reference=start)] == times, text
