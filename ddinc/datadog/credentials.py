"""Datadog API and application keys, kept out of every repr, log, message and file.

Keys come from arguments or from ``DD_API_KEY`` / ``DD_APP_KEY`` (the names the official
clients use). They live in :class:`Secret`, whose ``repr`` and ``str`` are masks, which refuses
to be pickled, and which only :meth:`Secret.reveal` opens: the client calls it in one place,
when it builds the request headers.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NoReturn

from ddinc.errors import ConfigError

__all__ = [
    "API_KEY_ENV_VAR",
    "API_KEY_HEADER",
    "APP_KEY_ENV_VAR",
    "APP_KEY_HEADER",
    "Credentials",
    "Secret",
]

API_KEY_ENV_VAR: Final = "DD_API_KEY"
APP_KEY_ENV_VAR: Final = "DD_APP_KEY"
API_KEY_HEADER: Final = "DD-API-KEY"
APP_KEY_HEADER: Final = "DD-APPLICATION-KEY"

_MASK: Final = "**********"


class Secret:
    """A string that does not show itself.

    Examples
    --------
    >>> key = Secret("abc123")
    >>> key, str(key), f"{key}"
    (Secret('**********'), '**********', '**********')
    >>> key.reveal()
    'abc123'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> NoReturn:
        # Pickling would write the key into a file or a notebook checkpoint.
        raise TypeError("a Secret cannot be pickled: keep Datadog keys out of files")

    def __len__(self) -> int:
        return len(self._value)


def _clean_key(
    value: str | Secret | None, *, what: str, env_var: str, env: Mapping[str, str]
) -> Secret:
    if isinstance(value, Secret):
        raw = value.reveal()
    elif value is not None:
        raw = value
    else:
        raw = env.get(env_var, "")
    # A trailing newline from `cat key.txt` or a copied space is common and never part of a key.
    raw = raw.strip()
    if not raw:
        source = "was passed empty" if value is not None else f"{env_var} is not set"
        raise ConfigError(
            f"No Datadog {what}: {source}. Set {env_var} in the environment (or pass "
            f"{'api_key' if env_var == API_KEY_ENV_VAR else 'app_key'}=). Create keys under "
            "Organization Settings in Datadog, on the same site as the org."
        )
    if not raw.isascii() or not raw.isprintable() or any(ch.isspace() for ch in raw):
        # The message must not quote the value: it is (almost) a key.
        raise ConfigError(
            f"The Datadog {what} contains spaces or non-printable characters, so it cannot be a "
            f"key. Copy it again from Datadog's Organization Settings into {env_var}."
        )
    return Secret(raw)


@dataclass(frozen=True, repr=False)
class Credentials:
    """The pair of keys every Datadog API call needs.

    Parameters
    ----------
    api_key
        Identifies the organization (``DD-API-KEY``).
    app_key
        Identifies the user or service account, and so its permissions such as
        ``incident_write`` (``DD-APPLICATION-KEY``).
    """

    api_key: Secret
    app_key: Secret

    @classmethod
    def resolve(
        cls,
        api_key: str | Secret | None = None,
        app_key: str | Secret | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> Credentials:
        """Keys from the arguments, else from ``DD_API_KEY`` / ``DD_APP_KEY``.

        Raises
        ------
        ConfigError
            When a key is missing or cannot be a key; the message never contains the value.
        """
        env = os.environ if environ is None else environ
        return cls(
            api_key=_clean_key(api_key, what="API key", env_var=API_KEY_ENV_VAR, env=env),
            app_key=_clean_key(app_key, what="application key", env_var=APP_KEY_ENV_VAR, env=env),
        )

    def headers(self) -> dict[str, str]:
        """The two authentication headers, in clear: hand them to the transport and nowhere else."""
        return {API_KEY_HEADER: self.api_key.reveal(), APP_KEY_HEADER: self.app_key.reveal()}

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r}, app_key={self.app_key!r})"
