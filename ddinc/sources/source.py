"""What a legacy source is: a name, how to recognise its files, and its mapping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ddinc.readers import FileKind, Table
from ddinc.sources.mapping import Mapping

__all__ = ["Source"]


@dataclass(frozen=True)
class Source:
    """A legacy system ddinc reads.

    Parameters
    ----------
    name
        What the analyst passes as ``source=``.
    description
        One line for ``ddinc sources`` and the docs.
    mappings
        The source's mapping, or several for several export shapes (first whose columns are
        all present wins).
    signatures
        Column sets that identify the source: a table matches when it holds all columns of
        any one set.
    kinds
        File kinds the source exports.
    prepare
        Turns the export's own shape into flat columns the mapping names (optional).
    """

    name: str
    description: str
    mappings: Sequence[Mapping]
    signatures: Sequence[frozenset[str]]
    kinds: frozenset[FileKind]
    prepare: Callable[[Table], Table] | None = None

    def matches(self, table: Table) -> bool:
        """Whether ``table`` looks like an export of this source."""
        columns = set(table.frame.columns)
        kind_fits = table.kind == "frame" or table.kind in self.kinds
        return kind_fits and any(sig <= columns for sig in self.signatures)

    def mapping_for(self, table: Table) -> Mapping:
        """The mapping fitting ``table``'s columns (the first one if none fits all)."""
        available = list(table.frame.columns)
        for mapping in self.mappings:
            if not mapping.missing_columns(available):
                return mapping
        return self.mappings[0]
