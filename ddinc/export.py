"""Write canonical incidents (and their quarantine) as CSV an analyst can open anywhere.

The format is :mod:`ddinc.sources.canonical_csv`'s, so that ``ddinc.load("cleaned.csv")``
reads the file back to the very frame written: timestamps as ISO 8601 UTC, durations as exact
decimal seconds (``time_to_resolve_s``), lists joined with ``"; "`` (a ``;`` inside an item
escaped), the raw struct spread over ``raw.<field>`` columns, and every text a spreadsheet
would run as a formula neutralised with a leading ``'`` (OWASP). Missing values are empty
cells.

Given the check report, each row also says which checks it fails (``failing_checks``), for a
spreadsheet user to filter on. ``excel=True`` adds the UTF-8 byte order mark Excel needs to
read accents right.

Nothing is overwritten that was read: :func:`write_csv` refuses a target that is one of the
``inputs`` (or the quarantine beside one), and says so instead of raising raw ``OSError``\\ s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import polars as pl

from ddinc.checks import CheckReport
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.safe_csv import write_cells
from ddinc.sources.canonical_csv import (
    FAILING_CHECKS,
    flatten,
    flatten_quarantine,
    quarantine_path,
)

__all__ = ["check_targets", "failing_check_names", "flatten_incidents", "write_csv"]

_NAMES: Final = pl.List(pl.String)


def flatten_incidents(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` with every column as CSV text, as :func:`write_csv` writes them.

    >>> from datetime import datetime, timezone
    >>> frame = pl.DataFrame({"title": ["-1 users"], "declared": [datetime(2024, 1, 12, 15, 45)]})
    >>> flatten_incidents(frame.with_columns(pl.col("declared").dt.replace_time_zone("UTC"))).row(0)
    ("'-1 users", '2024-01-12T15:45:00Z')
    """
    return flatten(incidents)


def failing_check_names(incidents: pl.DataFrame, report: CheckReport) -> pl.Series:
    """Per row of ``incidents``, the names of the checks it fails (a list, empty when none).

    ``report`` is the check report of these incidents; rows are matched by ``row_key``, names
    come in report order.
    """
    names = report.failing_checks().select(ROW_KEY, pl.col("checks").alias("names"))
    joined = incidents.select(ROW_KEY).join(names, on=ROW_KEY, how="left", maintain_order="left")
    return (
        joined.get_column("names")
        .fill_null(pl.lit([], dtype=_NAMES))
        .cast(_NAMES)
        .alias(FAILING_CHECKS)
    )


# --- where the files go ---------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_target(target: Path, protected: list[Path]) -> None:
    for path in protected:
        if _same_file(target, path):
            raise ConfigError(
                f"{target}: refusing to overwrite {path}, which was read to make this export; "
                "write the export to another file (for example cleaned.csv)"
            )
    if target.is_dir():
        raise ConfigError(
            f"{target} is a directory; name the CSV file to write, such as {target / 'cleaned.csv'}"
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{target}: {parent} is a file, not a folder; write the export somewhere else"
                )
            break


def _protected(inputs: Iterable[str | Path]) -> list[Path]:
    # Reading a canonical CSV also reads the quarantine beside it.
    paths = [Path(path) for path in inputs]
    return [*paths, *(quarantine_path(path) for path in paths)]


def _cannot_write(target: Path, error: OSError) -> ConfigError:
    reason = error.strerror or type(error).__name__
    return ConfigError(
        f"{target}: cannot write the export ({reason}); choose a folder you can write to, "
        "or free space"
    )


def _write(frame: pl.DataFrame, target: Path, *, excel: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Opened here, not by polars, so that a failure is an OSError that says why.
    with target.open("wb") as handle:
        write_cells(frame, handle, excel=excel)


def check_targets(
    path: str | Path, *, quarantine: bool = True, inputs: Iterable[str | Path] = ()
) -> list[Path]:
    """The files :func:`write_csv` would write to ``path``, after checking it may write them.

    Cheap, so a command can refuse a bad ``-o`` before a long load rather than after it.

    Raises
    ------
    ConfigError
        When a target is an input, a directory, under a file, or its folder cannot be read.
    """
    path = Path(path)
    targets = [path, quarantine_path(path)] if quarantine else [path]
    protected = _protected(inputs)
    target = path
    try:
        for target in targets:
            _check_target(target, protected)
    except OSError as error:
        raise _cannot_write(target, error) from None
    return targets


def write_csv(
    incidents: pl.DataFrame,
    path: str | Path,
    quarantine: pl.DataFrame | None = None,
    *,
    report: CheckReport | None = None,
    excel: bool = False,
    inputs: Iterable[str | Path] = (),
) -> list[Path]:
    """Write ``incidents`` to ``path`` and, if given, ``quarantine`` beside it.

    Parameters
    ----------
    incidents
        A canonical incident frame.
    path
        The CSV to write; the quarantine goes to :func:`quarantine_path` of it.
    quarantine
        The load's quarantine, if it is to be written.
    report
        The :class:`~ddinc.checks.CheckReport` of ``incidents``: adds a ``failing_checks``
        column (check names joined by ``"; "``), dropped again when the file is read back.
    excel
        Start each file with a UTF-8 byte order mark, so Excel reads accents right.
    inputs
        Files this export was made from: neither they nor their quarantine siblings are ever
        overwritten.

    Returns
    -------
    list of Path
        The paths written.

    Raises
    ------
    ConfigError
        When a target is an input, a directory, under a file, or cannot be written.
    """
    path = Path(path)
    targets = check_targets(path, quarantine=quarantine is not None, inputs=inputs)
    frame = incidents
    if report is not None:
        frame = frame.with_columns(failing_check_names(incidents, report))
        frame = frame.select(ROW_KEY, FAILING_CHECKS, pl.exclude(ROW_KEY, FAILING_CHECKS))
    target = path
    try:
        _write(flatten(frame), path, excel=excel)
        if quarantine is not None:
            target = targets[1]
            _write(flatten_quarantine(quarantine), target, excel=excel)
    except OSError as error:
        raise _cannot_write(target, error) from None
    return targets
