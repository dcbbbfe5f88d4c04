"""Text from a server or a user, made safe to put in an error message shown in a terminal.

A Datadog answer, a proxy's page or a legacy record can carry control characters: terminal
escape sequences (``ESC [ 2 J`` clears the screen, ``ESC ] 0 ;`` sets the window title),
bell, carriage returns that overwrite a line, C1 controls and the Unicode bidirectional
overrides that reorder what is displayed. :func:`printable` shows each as its Python escape,
so a message says what was sent without letting it act on the terminal or forge lines.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["printable"]

_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)


def printable(text: str) -> str:
    """``text`` with every control or invisible formatting character escaped.

    Examples
    --------
    >>> printable("red \\x1b[31malert\\x07 done")
    'red \\\\x1b[31malert\\\\x07 done'
    >>> printable("plain café")
    'plain café'
    """
    return _UNSAFE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
