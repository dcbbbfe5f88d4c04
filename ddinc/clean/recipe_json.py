"""Reading a recipe file: it is data from anyone, so it is checked before anything runs.

A recipe arrives from a colleague, a ticket or a download (the Cleaner's "apply",
``--recipe``, :meth:`~ddinc.clean.Recipe.load`). Before a step is built: the file is at most
:data:`MAX_RECIPE_BYTES` and :data:`MAX_STEPS` steps; it is JSON with the recipe's
``format`` and a ``version`` this ddinc reads; and each step is validated strictly against
its ``kind`` (a discriminated union of the operations, no coercion of ``"yes"`` into
``true``, no unknown key). Every refusal is one :class:`~ddinc.errors.ConfigError` naming
the file, the step (1-based, as the replay report counts) and the field.

>>> steps = parse_recipe('{"format": "ddinc-recipe", "version": 1, "steps": '
...                      '[{"kind": "exclude", "enabled": "yes"}]}', where="r.json")
Traceback (most recent call last):
...
ddinc.errors.ConfigError: r.json: step 1 (exclude): enabled: Input should be a valid boolean
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from ddinc.clean.ops import Op, Operation
from ddinc.errors import ConfigError

__all__ = [
    "MAX_RECIPE_BYTES",
    "MAX_STEPS",
    "RECIPE_FORMAT",
    "RECIPE_VERSION",
    "parse_recipe",
    "validation_message",
]

RECIPE_FORMAT: Final = "ddinc-recipe"
RECIPE_VERSION: Final = 2
"""2 added ``made_on`` (the data the recipe was made on); version 1 files still load."""

MAX_RECIPE_BYTES: Final = 64 * 1024 * 1024
"""A Cleaner session over 1M rows with a few thousand edits stays far below this."""
MAX_STEPS: Final = 100_000

_STEP: Final = TypeAdapter(Operation)
# Union members pydantic adds to a location ("value.str"): not a field the user wrote.
_TYPE_PART: Final = re.compile(r"^(str|int|float|bool|none|[a-z]+\[.*\])$")


def validation_message(error: ValidationError) -> str:
    """The first problem of ``error`` as ``field: message`` (the field as a dotted path)."""
    problem = error.errors()[0]
    parts = [str(part) for part in problem["loc"] if not _TYPE_PART.match(str(part))]
    return f"{'.'.join(parts)}: {problem['msg']}" if parts else str(problem["msg"])


def _step(index: int, data: Any, where: str) -> Op:
    kind = data.get("kind") if isinstance(data, dict) else None
    name = f"step {index + 1} ({kind})" if isinstance(kind, str) else f"step {index + 1}"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: {name}: a step is a JSON object with a kind")
    try:
        step: Op = _STEP.validate_python(data, strict=True)
    except ValidationError as error:
        message = validation_message(error)
        # A discriminated union puts the kind first in the location: it is in the name already.
        message = message.removeprefix(f"{kind}.")
        raise ConfigError(f"{where}: {name}: {message}") from None
    except ConfigError as error:
        raise ConfigError(f"{where}: {name}: {error}") from None
    return step


def parse_recipe(text: str | bytes, *, where: str = "recipe") -> tuple[dict[str, Any], list[Op]]:
    """The recipe's own keys (without ``steps``) and its validated steps.

    Raises
    ------
    ConfigError
        Too large, not JSON, not a recipe, too new, or a step that does not validate.
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_RECIPE_BYTES:
        raise ConfigError(
            f"{where}: {size:,} bytes, over the {MAX_RECIPE_BYTES:,} a recipe may hold; "
            "is it a ddinc recipe? split a larger session into several recipes"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{where}: not JSON ({error}); is it a ddinc recipe?") from None
    except (RecursionError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where}: not readable JSON ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != RECIPE_FORMAT:
        raise ConfigError(f'{where}: not a ddinc recipe (no "format": "{RECIPE_FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"{where}: version: {version!r} is not a recipe version (1, 2...)")
    if version > RECIPE_VERSION:
        raise ConfigError(
            f"{where}: recipe version {version!r} is newer than this ddinc reads "
            f"({RECIPE_VERSION}); upgrade ddinc"
        )
    steps = data.get("steps", [])
    if not isinstance(steps, list):
        raise ConfigError(f"{where}: steps: a list of steps, not {type(steps).__name__}")
    if len(steps) > MAX_STEPS:
        raise ConfigError(
            f"{where}: {len(steps):,} steps, over the {MAX_STEPS:,} a recipe may hold; "
            "split the session into several recipes"
        )
    envelope = {key: value for key, value in data.items() if key != "steps"}
    return envelope, [_step(index, step, where) for index, step in enumerate(steps)]
