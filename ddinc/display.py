"""How a computed result is shown: one generic function per format, filled in by renderers.

Models (a check report, phase statistics, the report) hold data; their renderers import
them and register here, so a model never imports its renderer (the one-way rule of the
house, tests/test_layers.py) yet still renders in a notebook (``_repr_html_``) and a
terminal (``str``). A package that defines a model imports its renderer in its
``__init__``, which registers it before any model of that package can exist.
"""

from __future__ import annotations

from functools import singledispatch

__all__ = ["to_html", "to_text"]


@singledispatch
def to_html(obj: object, **options: object) -> str:
    """``obj`` as self-contained HTML (``options`` go to its renderer)."""
    raise TypeError(f"no HTML renderer is registered for {type(obj).__name__}")


@singledispatch
def to_text(obj: object, **options: object) -> str:
    """``obj`` as plain text for a terminal (``options`` go to its renderer)."""
    raise TypeError(f"no text renderer is registered for {type(obj).__name__}")
