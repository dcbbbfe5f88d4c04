"""What a mapping can say a canonical field is made of, beyond one legacy column.

A mapping entry (``columns``, ``id``, ``fields``) is one of:

- a column name, or a **path** into nested JSON: ``most_recent_update.status`` (an object's
  key), ``affected_products[].title`` (the ``title`` of each object of a list: a list, for
  ``teams`` or ``services``);
- :func:`const`: the same value for every record (``const("resolved")``; TOML
  ``state = {const = "resolved"}``);
- :func:`pattern`: the first capture group of a regular expression over a column (TOML
  ``state = {column = "name", pattern = '^\\[(\\w+)\\]'}``); no match gives a missing value;
- :func:`concat`: columns joined by a separator, missing if any part is (TOML
  ``id = {concat = ["region", "number"], sep = "-"}``);
- :func:`computed` (Python only), or a bare polars expression: any expression over the
  record's columns, e.g. ``pl.col("name").str.to_uppercase()``.

Specs are plain data: :func:`spec_columns` says which legacy columns a spec reads, and
:mod:`ddinc.sources.resolve` turns specs into columns of a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "ITEMS",
    "ColumnSpec",
    "Computed",
    "Concat",
    "Const",
    "Pattern",
    "SpecLike",
    "computed",
    "concat",
    "const",
    "label",
    "path_root",
    "pattern",
    "spec_columns",
    "to_spec",
]

# A path segment that takes each item of a list.
ITEMS: Final = "[]"


@dataclass(frozen=True)
class Const:
    """The same value for every record."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise ConfigError(
                f"const: the value must be text, not {self.value!r}; "
                f"write const({str(self.value)!r})"
            )


@dataclass(frozen=True)
class Pattern:
    """The first capture group of ``regex`` searched in ``column``; missing when it does not
    match. A regex without a group takes the whole match."""

    column: str
    regex: str

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not isinstance(self.regex, str):
            raise ConfigError(
                "pattern: give a column name and a regular expression, both text, e.g. "
                "pattern('name', r'^\\[(\\w+)\\]')"
            )
        try:
            compiled = re.compile(self.regex)
        except re.error as error:
            raise ConfigError(
                f"pattern {self.regex!r} is not a valid regular expression: {error}; "
                "write one capture group around the part to keep, e.g. '^\\[(\\w+)\\]'"
            ) from None
        if compiled.groups > 1:
            raise ConfigError(
                f"pattern {self.regex!r} has {compiled.groups} capture groups; keep one "
                "(make the others non-capturing: (?:...))"
            )


@dataclass(frozen=True)
class Concat:
    """Columns joined by ``sep``; missing when any of them is."""

    columns: tuple[str, ...]
    sep: str = ""

    def __post_init__(self) -> None:
        columns = self.columns
        if (
            isinstance(columns, str)
            or not columns
            or not all(isinstance(c, str) and c for c in columns)
        ):
            raise ConfigError(
                f"concat: give a list of column names, e.g. concat('region', 'number', sep='-'), "
                f"not {columns!r}"
            )
        if not isinstance(self.sep, str):
            raise ConfigError(f"concat: sep must be text, not {self.sep!r}")
        object.__setattr__(self, "columns", tuple(columns))


@dataclass(frozen=True, eq=False)
class Computed:
    """A polars expression over the record's columns (Python mappings only)."""

    expr: pl.Expr

    def __post_init__(self) -> None:
        if not isinstance(self.expr, pl.Expr):
            raise ConfigError(f"computed: give a polars expression, not {self.expr!r}")

    def __eq__(self, other: object) -> bool:
        # Expressions compare element-wise; two specs are equal when they print the same.
        return isinstance(other, Computed) and str(other.expr) == str(self.expr)

    def __hash__(self) -> int:
        return hash(str(self.expr))


ColumnSpec = Const | Pattern | Concat | Computed
# What a mapping entry may be given as: a column name or path, a spec, or a polars expression.
SpecLike = str | ColumnSpec | pl.Expr


def const(value: str) -> Const:
    """The same ``value`` for every record.

    >>> const("resolved")
    Const(value='resolved')
    """
    return Const(value)


def pattern(column: str, regex: str) -> Pattern:
    """The first capture group of ``regex`` in ``column`` (missing when it does not match).

    >>> pattern("name", r"^\\[(\\w+)\\]").column
    'name'
    """
    return Pattern(column, regex)


def concat(*columns: str, sep: str = "") -> Concat:
    """``columns`` joined by ``sep`` (missing when any part is).

    >>> concat("region", "number", sep="-").columns
    ('region', 'number')
    """
    return Concat(tuple(columns), sep)


def computed(expr: pl.Expr) -> Computed:
    """Any polars expression over the record's columns."""
    return Computed(expr)


def to_spec(value: object, *, where: str) -> str | ColumnSpec:
    """``value`` as a mapping entry: a column name or a spec (a bare expression is wrapped)."""
    if isinstance(value, pl.Expr):
        return Computed(value)
    if isinstance(value, str):
        if not value.strip():
            raise ConfigError(f"{where}: a column name cannot be empty")
        return value
    if isinstance(value, Const | Pattern | Concat | Computed):
        return value
    raise ConfigError(
        f"{where}: expected a column name, a path such as 'items[].name', const(...), "
        f"pattern(...), concat(...) or a polars expression, not {value!r}"
    )


def label(spec: str | ColumnSpec) -> str:
    """How a spec is named in messages and in the working column that holds its values.

    >>> label(concat("a", "b", sep="-"))
    "concat(a, b, sep='-')"
    """
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Const):
        return f"const({spec.value!r})"
    if isinstance(spec, Pattern):
        return f"pattern({spec.column}, {spec.regex!r})"
    if isinstance(spec, Concat):
        return f"concat({', '.join(spec.columns)}, sep={spec.sep!r})"
    return f"computed({spec.expr})"


def path_root(path: str, available: list[str] | set[str]) -> str | None:
    """The column of ``available`` a path starts from: the path itself, else its longest
    prefix that ends before a ``.`` or ``[]`` (flattened JSON names hold dots themselves).

    >>> path_root("affected_products[].title", ["id", "affected_products"])
    'affected_products'
    >>> path_root("most_recent_update.status", ["most_recent_update.status"])
    'most_recent_update.status'
    """
    if path in available:
        return path
    cuts = sorted(
        {m.start() for m in re.finditer(r"\.|\[\]", path)},
        reverse=True,
    )
    for cut in cuts:
        if path[:cut] in available:
            return path[:cut]
    return None


def spec_columns(spec: str | ColumnSpec) -> tuple[str, ...]:
    """The legacy columns (or paths) a spec reads."""
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, Const):
        return ()
    if isinstance(spec, Pattern):
        return (spec.column,)
    if isinstance(spec, Concat):
        return spec.columns
    return tuple(spec.expr.meta.root_names())
