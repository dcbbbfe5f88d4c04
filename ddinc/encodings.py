"""Which text encoding a legacy export is in, and its text as UTF-8, said in a note when not.

Legacy tools write text every which way: UTF-8 with or without a byte-order mark, UTF-16 from
Excel's "Unicode Text", UTF-32 now and then, Windows-1252 from older Windows tools, and
sometimes UTF-16 *without* a byte-order mark. Read as UTF-8, that last one gives column names
such as ``i\\x00d\\x00`` and no hint at all; its NUL bytes give it away: ASCII text in UTF-16LE
has a NUL in every odd byte, in UTF-32BE in three bytes of every four.

>>> decode(b"\\xff\\xfei\\x00d\\x00,\\x00t\\x00\\n\\x00", "x.csv")
(b'id,t\\n', ('x.csv: decoded from UTF-16',))
>>> decode("id,t\\n".encode("utf-16-be"), "x.csv")[0]
b'id,t\\n'
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from ddinc.errors import LoadError

__all__ = ["WIDE_BOMS", "decode", "wide_encoding"]

# Longest first: the UTF-32LE mark starts with the UTF-16LE one.
_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)
WIDE_BOMS: Final = tuple(bom for bom, _, _ in _BOMS)

# Positions (byte index mod 4) that are NUL in ASCII text of each encoding, and the others.
_NUL_PATTERNS: Final = (
    ("utf-32-le", "UTF-32LE", (1, 2, 3), (0,)),
    ("utf-32-be", "UTF-32BE", (0, 1, 2), (3,)),
    ("utf-16-le", "UTF-16LE", (1, 3), (0, 2)),
    ("utf-16-be", "UTF-16BE", (0, 2), (1, 3)),
)
_SNIFF_BYTES: Final = 4096
_MIN_SNIFF_BYTES: Final = 8
# Non-ASCII letters have non-NUL high bytes, so "mostly NUL" rather than "all NUL"; NUL bytes
# pasted into a UTF-8 file never reach these shares.
_MOSTLY_NUL: Final = 0.7
_RARELY_NUL: Final = 0.1
_RESAVE: Final = "re-save it as UTF-8 (in Excel: Save As > 'CSV UTF-8 (Comma delimited)')"


def _nul_share(sample: bytes, position: int) -> float:
    column = sample[position::4]
    return column.count(0) / len(column)


def wide_encoding(head: bytes) -> tuple[str, str] | None:
    """``(codec, name)`` when ``head`` is UTF-16 or UTF-32 text, with or without a BOM."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name
    sample = head[:_SNIFF_BYTES]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < _MIN_SNIFF_BYTES or 0 not in sample:
        return None
    shares = [_nul_share(sample, position) for position in range(4)]
    for codec, name, nul, other in _NUL_PATTERNS:
        if all(shares[p] >= _MOSTLY_NUL for p in nul) and all(
            shares[p] <= _RARELY_NUL for p in other
        ):
            return codec, f"{name} without a byte-order mark"
    return None


def decode(data: bytes, path: str | Path) -> tuple[bytes, tuple[str, ...]]:
    """UTF-8 bytes of ``data`` (the content of ``path``), and a note when it was not UTF-8.

    Raises
    ------
    LoadError
        When the file looks like UTF-16 or UTF-32 but does not decode as such (a truncated
        or damaged file): the message names the encoding and how to re-save it.
    """
    name = Path(path).name
    wide = wide_encoding(data[:_SNIFF_BYTES])
    if wide is not None:
        codec, label = wide
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as error:
            raise LoadError(
                f"the file looks like {label} but byte {error.start} does not decode as it "
                "(is the file complete?)",
                file=path,
                hint=f"export it again, or {_RESAVE}",
            ) from None
        return text.encode(), (f"{name}: decoded from {label}",)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        text = data.decode("cp1252", errors="replace")
        note = (
            f"{name}: not UTF-8 (first bad byte on line {line}); decoded as Windows-1252. "
            "Re-export as UTF-8 if accented names look wrong"
        )
        return text.encode(), (note,)
    return data, ()
