"""Datadog sites and the one rule for where API keys may be sent.

Datadog runs nine regional sites; an organization lives on exactly one, and its keys work
only there. The API of site ``S`` is served at ``https://api.S``. Official clients read the
site from ``DD_SITE``; so does :func:`resolve_base_url`.

A base URL that is not a Datadog site is accepted only when its host is loopback (the local
emulator) or when the caller mounts a custom in-process transport; anything else is a
:class:`~ddinc.errors.ConfigError`, so keys are never sent to an unexpected host by accident.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from ddinc.errors import ConfigError

__all__ = [
    "DEFAULT_SITE",
    "SITES",
    "SITE_ENV_VAR",
    "api_url",
    "is_loopback_host",
    "normalize_site",
    "resolve_base_url",
    "site_of",
]

SITES: Final = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)
DEFAULT_SITE: Final = "datadoghq.com"
SITE_ENV_VAR: Final = "DD_SITE"

_API_HOSTS: Final = {f"api.{site}": site for site in SITES}
_UI_PREFIXES: Final = ("app.", "api.")


def _suggestion(text: str) -> str:
    """A 'did you mean' tail for a misspelled or UI-style site name, or nothing."""
    bare = text
    for prefix in _UI_PREFIXES:
        bare = bare.removeprefix(prefix)
    if bare in SITES:
        return f" Did you mean {bare!r}?"
    close = difflib.get_close_matches(bare, SITES, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def normalize_site(site: str) -> str:
    """The canonical name of a Datadog site, or a ConfigError listing the nine.

    Case and surrounding whitespace are forgiven; UI or API host names (``app.datadoghq.eu``,
    ``https://api.datadoghq.com``) are refused with a suggestion, because a site given in the
    wrong form usually means the caller meant a URL and should say ``base_url=`` instead.

    Examples
    --------
    >>> normalize_site(" DatadogHQ.eu ")
    'datadoghq.eu'
    """
    text = site.strip().lower().rstrip("/")
    if text in SITES:
        return text
    if "://" in text:
        text = urlsplit(text).hostname or text
    # A site may have been written as a URL with a key in it: never echo what precedes '@'.
    raise ConfigError(
        f"{_without_userinfo(site)!r} is not a Datadog site.{_suggestion(text)} Use one of: "
        f"{', '.join(SITES)} "
        f"(the part after 'app.' in the address you log in to), or set {SITE_ENV_VAR}."
    )


def api_url(site: str) -> str:
    """The API base URL of a site.

    Examples
    --------
    >>> api_url("us3.datadoghq.com")
    'https://api.us3.datadoghq.com'
    """
    return f"https://api.{normalize_site(site)}"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost``, 127.0.0.0/8 or ``::1``.

    Examples
    --------
    >>> is_loopback_host("127.0.0.1"), is_loopback_host("[::1]"), is_loopback_host("10.0.0.1")
    (True, True, False)
    """
    # No stripping of spaces or trailing dots: "localhost." and "127.0.0.1." are absolute DNS
    # names that the resolver may send to a DNS server, which can answer any address.
    name = host.lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def site_of(base_url: str) -> str | None:
    """The Datadog site a base URL points at (``https://api.<site>`` only), else None."""
    parts = urlsplit(base_url.strip())
    try:
        port = parts.port
    except ValueError:  # not a port number: not a Datadog site either
        return None
    if parts.scheme != "https" or port not in (None, 443):
        return None
    return _API_HOSTS.get((parts.hostname or "").lower())


def _without_userinfo(url: str) -> str:
    """``url`` for a message: anything before an ``@`` may be a key, so it is masked."""
    return re.sub(r"^([^/]*//)?[^/]*@", r"\1***@", url)


def _check_base_url(base_url: str, *, custom_transport: bool) -> str:
    text = base_url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base_url {_without_userinfo(base_url)!r} is not an http(s) URL. Give the API "
            "root, such as 'https://api.datadoghq.eu' or the emulator's 'http://127.0.0.1:8126'."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url {parts.scheme}://{parts.hostname}... carries credentials, a query or a "
            "fragment. Give only scheme, host and port; keys go in api_key/app_key."
        )
    if parts.path not in ("", "/"):
        raise ConfigError(
            f"base_url {text!r} has a path ({parts.path!r}). Give the API root without "
            "'/api/v2': the client adds the paths itself."
        )
    if site_of(text) is not None or custom_transport or is_loopback_host(parts.hostname):
        return text
    hint = ""
    host = parts.hostname.lower()
    if host in _API_HOSTS or any(host in (f"app.{site}", site) for site in SITES):
        hint = _suggestion(host.removeprefix("app.")) + " Datadog's API is only served over https."
    raise ConfigError(
        f"Refusing to send Datadog keys to {parts.scheme}://{parts.hostname}: it is neither a "
        f"Datadog API site (https://api.<site>) nor a loopback address.{hint} Pass "
        f"site='datadoghq.eu' (or set {SITE_ENV_VAR}) for Datadog, or a 127.0.0.1 URL for the "
        "local emulator."
    )


def resolve_base_url(
    *,
    site: str | None = None,
    base_url: str | None = None,
    custom_transport: bool = False,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The base URL the client will call, from an explicit URL, a site, ``DD_SITE`` or the default.

    Parameters
    ----------
    site
        A Datadog site name; wins over ``DD_SITE``. Not allowed together with ``base_url``.
    base_url
        An explicit API root: a Datadog API URL, a loopback URL (the emulator), or anything when
        ``custom_transport`` is true (the requests never leave the process).
    custom_transport
        Whether the caller mounts its own httpx transport.
    environ
        Where to read ``DD_SITE``; defaults to ``os.environ``.

    Raises
    ------
    ConfigError
        When the site is unknown, both ``site`` and ``base_url`` are given, or the base URL is
        neither a Datadog site nor loopback.

    Examples
    --------
    >>> resolve_base_url(site="datadoghq.eu")
    'https://api.datadoghq.eu'
    >>> resolve_base_url(base_url="http://127.0.0.1:8126/")
    'http://127.0.0.1:8126'
    >>> resolve_base_url(environ={"DD_SITE": "us5.datadoghq.com"})
    'https://api.us5.datadoghq.com'
    """
    if site is not None and base_url is not None:
        raise ConfigError(
            "Give either site= or base_url=, not both: the site decides the base URL."
        )
    if base_url is not None:
        return _check_base_url(base_url, custom_transport=custom_transport)
    if site is None:
        env = os.environ if environ is None else environ
        site = env.get(SITE_ENV_VAR) or DEFAULT_SITE
    return api_url(site)
