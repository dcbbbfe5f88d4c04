"""Legacy timestamp text -> timezone-aware UTC, the one way every loader does it.

Legacy exports write one instant in many ways: ISO 8601 with or without an offset, epoch
seconds or milliseconds, ``5/3/2016 12:00`` (day-first), ``3/15/2016 3:45 PM`` (month-first),
``12/Jan/24 3:45 PM`` (Jira), ``2024-01-12 15:45:00 UTC`` (PagerDuty CSV), and often several of
these in one column. :func:`parse_timestamps` reads them all and says what it did.

How a column is read, and why:

- Text is stripped and every spelling in :data:`NULL_SPELLINGS` becomes null (missing, not
  invalid).
- Speed: the styles of a column are detected from a sample of up to 1000 values; the whole
  column is parsed once with the best one and verified, and only the rows it missed meet
  the next styles seen in the sample, then (once per distinct text) every other style. A
  clean column costs about one ``str.to_datetime`` pass.
- Nothing is accepted by partial matching (``exact=False`` silently drops seconds); a value
  no style reads, or an impossible date such as ``31/02/2016``, is null and flagged
  ``invalid``. ``%Y`` must read a four-digit year: chrono would read ``5/3/16`` as year 16.
- Day/month order of numeric dates is decided per column: a value whose first number is
  above 12 proves day-first, a second number above 12 proves month-first. A column proving
  both is a :class:`~ddinc.errors.LoadError`. When nothing proves either, day-first is
  assumed (the legacy exports this tool meets, ServiceNow above all, are day-first, and
  ``str.to_datetime`` does the same), except for a 12-hour clock (``3:45 PM``), a US habit,
  which is taken month-first; the assumption is written into ``styles``.
- Epoch digits: 9 or 10 digits are seconds, 12 or 13 digits are milliseconds, an optional
  ``.fraction`` kept to the microsecond. Both ranges cover the same instants, 1973-03-03 to
  2286-11-20, so the magnitude decides the unit unambiguously; other digit strings (``0``,
  ``20240112``) are flagged invalid rather than read as 1970.
- Naive values are wall-clock time in ``tz``. A local time skipped by a DST change is null and
  flagged ``nonexistent``; one that happens twice keeps the earlier instant and is flagged
  ``ambiguous``. Values with an offset ignore ``tz``.

Where each part lives: ``_nulls`` (null spellings), ``_styles`` (the styles recognised, as
chrono formats or epoch units, and :class:`DateOrder`), ``_zones`` (time zone checks, wall
clock -> UTC, DST gaps and overlaps), ``_cascade`` (reading a column with styles in turn),
``_detect`` (which styles and which day/month order a column uses) and ``_parse``
(:func:`parse_timestamps` and :class:`ParsedTimestamps`).

>>> import polars as pl
>>> raw = pl.Series(["29/2/2016 01:16", " ? ", "2016-03-05T12:00:00Z", "5/3/2016 12:00"])
>>> parsed = parse_timestamps(raw, tz="Europe/London")
>>> parsed.values.to_list()[:2]
[datetime.datetime(2016, 2, 29, 1, 16, tzinfo=zoneinfo.ZoneInfo(key='UTC')), None]
>>> parsed.invalid.to_list(), parsed.order, parsed.assumed_tz
([False, False, False, False], <DateOrder.DAY_FIRST: 'day_first'>, 'Europe/London')
>>> parsed.styles
('D/M/YYYY HH:MM', 'YYYY-M-DTHH:MM:SS[.f]Z|±HH:MM')
>>> parse_timestamps(pl.Series(["5/3/2016 12:00", "garbage"])).styles
('D/M/YYYY HH:MM, day-first assumed',)
"""

from ddinc.timestamps._nulls import NULL_SPELLINGS, normalize_nulls
from ddinc.timestamps._parse import ParsedTimestamps, parse_timestamps
from ddinc.timestamps._styles import DateOrder

__all__ = [
    "NULL_SPELLINGS",
    "DateOrder",
    "ParsedTimestamps",
    "normalize_nulls",
    "parse_timestamps",
]
