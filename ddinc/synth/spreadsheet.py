"""An analyst's hand-kept incident spreadsheet (Excel and CSV), and its mapping file.

The columns are the analyst's own (:data:`COLUMNS`), so the generic loader needs the
mapping file :data:`MAPPING_TOML` to know which is which. Times are naive local time in
Europe/Paris, typed to the minute: real Excel date cells in the workbook, ``YYYY-MM-DD HH:MM``
text in the CSV, and ``DD/MM/YYYY HH:MM`` text on the records whose dates were pasted from
elsewhere (``mixed_date_style``). A few times fall inside a DST change: one that does not
exist (the spring-forward hour, ``dst_gap``) and one that exists twice (the fall-back hour,
``dst_overlap``; the truth holds the first, summer-time, instant).
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from ddinc.errors import ConfigError
from ddinc.synth._dirt import (
    BACKFILLED,
    DISPLAY_NAME,
    DST_GAP,
    DST_OVERLAP,
    DUPLICATE,
    DUPLICATE_ID,
    FREE_TEXT_SEVERITIES,
    FREE_TEXT_SEVERITY,
    HOUR_SHIFT,
    LONG_TITLE,
    MISSING_TITLE,
    MIXED_DATE_STYLE,
    NO_ID,
    NULL_SPELLING,
    NULL_SPELLINGS,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._records import assemble, csv_bytes, dirty_ids, dirty_titles, prepare
from ddinc.synth._sample import Sample

__all__ = [
    "COLUMNS",
    "DIRT",
    "MAPPING_TOML",
    "TIMESTAMPS",
    "TIMEZONE",
    "Cell",
    "spreadsheet_csv",
    "spreadsheet_xlsx",
    "write_spreadsheet",
    "write_spreadsheet_mapping",
    "write_spreadsheet_recipe",
]

TIMEZONE: Final = "Europe/Paris"
COLUMNS: Final = (
    "Incident #", "What happened", "Sev", "Status", "Started (local)", "Noticed", "Opened",
    "Fixed", "Impact over", "Owner email", "Team(s)", "Service(s)", "Root cause",
)  # fmt: skip

# canonical timestamp -> the legacy column that states it
TIMESTAMPS: Final = {
    "impact_start": "Started (local)",
    "detected": "Noticed",
    "declared": "Opened",
    "resolved": "Fixed",
    "impact_end": "Impact over",
}

MAPPING_TOML: Final = f"""\
# How ddinc reads spreadsheet_incidents.xlsx / .csv: which of the analyst's columns is which.
source = "spreadsheet"       # name recorded in the `source` column
id = "Incident #"
timezone = "{TIMEZONE}"    # naive times in this file are local Paris time

[columns]
title = "What happened"
severity = "Sev"
state = "Status"
impact_start = "Started (local)"
detected = "Noticed"
declared = "Opened"
resolved = "Fixed"
impact_end = "Impact over"
commander = "Owner email"
teams = "Team(s)"
services = "Service(s)"

[fields]            # extra Datadog fields: datadog key = legacy column
root_cause = "Root cause"

[severity]          # legacy value = Datadog severity
"Sev 1" = "SEV-1"
"Sev 2" = "SEV-2"
"Sev 3" = "SEV-3"
"Sev 4" = "SEV-4"
"Sev 5" = "SEV-5"

[state]             # legacy value = Datadog state
"Open" = "active"
"Monitoring" = "stable"
"Fixed" = "resolved"
"Closed" = "resolved"
"""

DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    DST_GAP: 2,
    DST_OVERLAP: 2,
    BACKFILLED: 0.04,
    REVERSED: 0.03,
    HOUR_SHIFT: 0.04,
    DUPLICATE: 0.03,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.04,
    TRAILING_SPACE: 0.04,
    DISPLAY_NAME: 0.05,
    NULL_SPELLING: 0.05,
    MIXED_DATE_STYLE: 0.06,
}

_ZONE: Final = ZoneInfo(TIMEZONE)
_ISO_MINUTES: Final = "%Y-%m-%d %H:%M"
_DAY_FIRST: Final = "%d/%m/%Y %H:%M"
# (year, month, day) of the DST changes in Paris, both at 02:00 local.
_SPRING_FORWARD: Final = ((2023, 3, 26), (2024, 3, 31))
_FALL_BACK: Final = ((2023, 10, 29), (2024, 10, 27))
_STATUSES: Final = {"active": ("Open",), "stable": ("Monitoring",), "resolved": ("Fixed", "Closed")}
_CANONICAL: Final = ("impact_start", "detected", "declared", "resolved", "impact_end")
_TIMED: Final = (*_CANONICAL, "closed")

Cell = str | datetime | None


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(_ZONE).replace(tzinfo=None)


def _relocate(inc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Move a ``dst_*`` incident so that its ``detected`` time falls in the DST change hour."""
    minute = rng.randint(0, 59)
    if inc["dirt"] == DST_GAP:
        year, month, day = rng.choice(_SPRING_FORWARD)
        # 01:MM UTC is 03:MM summer time; the analyst typed 02:MM, their clock not yet changed.
        target = datetime(year, month, day, 1, minute, tzinfo=UTC)
    else:
        year, month, day = rng.choice(_FALL_BACK)
        target = datetime(year, month, day, 0, minute, tzinfo=UTC)  # 02:MM summer time
    delta = target - inc["detected"]
    moved = dict(inc)
    for name in _TIMED:
        if moved[name] is not None:
            moved[name] = moved[name] + delta
    return moved


def _rows(n: int, seed: int) -> tuple[list[list[Cell]], list[dict[str, Any]], list[bool]]:
    """Rows of cells (naive local datetimes where typed as dates), truth, and which are mixed."""
    if n < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n}")
    # People type the impact times; those are the ones off by the analyst's UTC offset.
    incidents, rng = prepare(
        "spreadsheet", seed, n, DIRT, shifted=("impact_start", "impact_end"), precision="1m"
    )
    tags = [inc["dirt"] for inc in incidents]
    ids = dirty_ids(rng, [f"IR-{1000 + inc['key']}" for inc in incidents], tags)
    titles = dirty_titles(rng, [inc["title"] for inc in incidents], tags)
    rows: list[list[Cell]] = []
    truth: list[dict[str, Any]] = []
    mixed: list[bool] = []
    for drawn, incident_id, title in zip(incidents, ids, titles, strict=True):
        tag = drawn["dirt"]
        inc = _relocate(drawn, rng) if tag in (DST_GAP, DST_OVERLAP) else drawn
        stated: dict[str, datetime | None] = {name: inc[name] for name in _CANONICAL}
        cells: dict[str, Cell] = {name: _local(inc[name]) for name in _CANONICAL}
        if tag == DST_GAP:
            cells["detected"] = (inc["detected"] + timedelta(hours=1)).replace(tzinfo=None)
            stated["detected"] = None  # that local time does not exist
        owner: str | None = inc["commander"]
        if tag == DISPLAY_NAME and inc["commander_name"]:
            owner = inc["commander_name"]
        root_cause: str | None = inc["root_cause"]
        if tag == NULL_SPELLING:
            owner = rng.choice(NULL_SPELLINGS)
            root_cause = rng.choice(NULL_SPELLINGS)
            cells["impact_end"] = rng.choice(NULL_SPELLINGS)
            stated["impact_end"] = None
        spaced = " " if tag == TRAILING_SPACE else ""
        if owner and tag == TRAILING_SPACE:
            owner += spaced
        severity = str(inc["severity"])
        sev = (
            rng.choice(FREE_TEXT_SEVERITIES) if tag == FREE_TEXT_SEVERITY else f"Sev {severity[-1]}"
        )
        status = rng.choice(_STATUSES[str(inc["state"])]) + spaced
        if tag == MIXED_DATE_STYLE:
            for name, value in cells.items():
                if isinstance(value, datetime):
                    cells[name] = value.strftime(_DAY_FIRST)
        rows.append(
            [
                incident_id,
                title,
                sev,
                status,
                *(cells[name] for name in _CANONICAL),
                owner,
                ", ".join(t + spaced for t in inc["teams"]),
                ", ".join(inc["services"]),
                root_cause,
            ]
        )
        mixed.append(tag == MIXED_DATE_STYLE)
        truth.append(
            {
                "source_id": incident_id,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                **stated,
            }
        )
    return rows, truth, mixed


def spreadsheet_csv(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The spreadsheet saved as CSV: dates as ``YYYY-MM-DD HH:MM`` text (see module docstring)."""
    rows, truth, _ = _rows(n_incidents, seed)
    text_rows = [
        [v.strftime(_ISO_MINUTES) if isinstance(v, datetime) else (v or "") for v in row]
        for row in rows
    ]
    text_rows, truth_frame = assemble(text_rows, truth, TIMESTAMPS)
    return Sample("generic", csv_bytes(COLUMNS, text_rows), truth_frame, DIRT)


def spreadsheet_xlsx(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The spreadsheet as an Excel workbook, one sheet ``Incidents``, dates as date cells.

    Needs the ``xlsxwriter`` package (a test dependency of ddinc).
    """
    try:
        import xlsxwriter  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - xlsxwriter ships with the test extras
        raise ConfigError(
            "writing .xlsx samples needs xlsxwriter; pip install xlsxwriter, or write .csv"
        ) from None
    rows, truth, _ = _rows(n_incidents, seed)
    rows, truth_frame = assemble(rows, truth, TIMESTAMPS)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # A fixed creation time keeps the bytes identical from run to run.
    workbook.set_properties({"created": datetime(2025, 1, 6, 9, 0), "author": "ddinc.synth"})
    sheet = workbook.add_worksheet("Incidents")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, COLUMNS, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            elif value:
                sheet.write_string(r, c, value)
    sheet.set_column(0, len(COLUMNS) - 1, 18)
    workbook.close()
    return Sample("generic", buffer.getvalue(), truth_frame, DIRT)


def write_spreadsheet(
    path: Path, *, n_incidents: int = 80, seed: int = 7, truth: bool = False
) -> Path:
    """Write the spreadsheet to ``path``: a workbook for ``.xlsx``, CSV for ``.csv``."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return spreadsheet_xlsx(n_incidents, seed=seed).write(path, truth=truth)
    if suffix == ".csv":
        return spreadsheet_csv(n_incidents, seed=seed).write(path, truth=truth)
    raise ConfigError(f"cannot write the spreadsheet as {suffix!r}; name the file .xlsx or .csv")


def write_spreadsheet_mapping(path: Path) -> Path:
    """Write :data:`MAPPING_TOML`, the generic loader's mapping for the spreadsheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MAPPING_TOML, encoding="utf-8")
    return path


def write_spreadsheet_recipe(path: Path) -> Path:
    """Write a hand-written analyst's recipe for the spreadsheet samples (the demo applies it
    after the checks' own suggestions): what review decided, as replayable steps.

    The recipe records the data it was made on: ``spreadsheet_incidents.csv`` beside it, read
    with the mapping beside it (written first by :func:`ddinc.synth.write_samples`), so that
    applied to another export it is refused."""
    from ddinc.clean import Exclude, Recipe
    from ddinc.clean.facets import Where
    from ddinc.loader import load

    recipe = Recipe(
        description="spreadsheet review: decisions the checks cannot make",
        steps=[
            Exclude(
                where=Where(facets={"check": ["title_missing"]}),
                note="no title in the sheet and none in the notes: nothing to import",
            ),
            Exclude(
                where=Where(facets={"check": ["duplicate_source_id"]}),
                note="ids typed twice in the sheet: left out until the owners say which is right",
            ),
        ],
    )
    export, mapping = (
        path.with_name("spreadsheet_incidents.csv"),
        path.with_name("spreadsheet_mapping.toml"),
    )
    if export.exists() and mapping.exists():
        recipe = recipe.fingerprinted(load(export, mapping).incidents)
    return recipe.save(path)
