"""The people table: legacy names without an email, mapped to Datadog emails by hand.

A small CSV beside the ledger (``import.ledger`` -> ``import.people.csv``), two columns
``name,email``. A plan adds every name it could not map with an empty email, so the analyst
only fills in the blanks; rows with a blank email are ignored when read. Names come from the
legacy export, so the table is written formula-safe (:mod:`ddinc.safe_csv`): a commander
named ``=HYPERLINK(...)`` is text in the spreadsheet, and reads back as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ddinc.errors import ConfigError
from ddinc.payloads import normalize_name
from ddinc.safe_csv import read_rows, write_rows

__all__ = ["people_table_path", "read_people", "unmapped_names", "write_people_template"]

_HEADER = ("name", "email")


def people_table_path(ledger: str | Path) -> Path:
    """Where the people table of a ledger lives."""
    path = Path(ledger)
    return path.with_name(f"{path.stem}.people.csv")


def _rows(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    reader = iter(read_rows(path))
    header = next(reader, None)
    if header is None:
        return []
    if tuple(h.strip().lower() for h in header[:2]) != _HEADER:
        raise ConfigError(
            f"{path}: the people table must start with the header 'name,email', "
            f"got {','.join(header)!r}"
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise ConfigError(f"{path}, line {number}: write 'name,email' (got {row!r})")
        rows.append((row[0].strip(), row[1].strip()))
    return rows


def read_people(path: str | Path) -> dict[str, str]:
    """Normalized name -> email, from the filled-in rows of the table (none when absent)."""
    mapping: dict[str, str] = {}
    for name, email in _rows(Path(path)):
        if not name or not email:
            continue
        if "@" not in email:
            raise ConfigError(f"{path}: {email!r} (for {name!r}) is not an email address")
        mapping[normalize_name(name)] = email
    return mapping


def unmapped_names(names: Iterable[str | None], mapping: dict[str, str]) -> list[str]:
    """The names (not emails) that the table does not map yet, sorted, each once."""
    found = {
        " ".join(name.split())
        for name in names
        if name and name.strip() and "@" not in name and normalize_name(name) not in mapping
    }
    return sorted(found, key=normalize_name)


def write_people_template(path: str | Path, names: Iterable[str]) -> int:
    """Add ``names`` missing from the table, with an empty email; return how many were added."""
    target = Path(path)
    rows = _rows(target)
    known = {normalize_name(name) for name, _ in rows}
    added = [name for name in names if normalize_name(name) not in known]
    if not added and target.exists():
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    write_rows(target, _HEADER, [*rows, *((name, "") for name in added)])
    return len(added)
