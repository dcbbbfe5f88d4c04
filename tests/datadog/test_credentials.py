"""Keys from arguments or the environment, and never shown."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.credentials import Credentials, Secret
from ddinc.errors import ConfigError

API = "0123456789abcdef0123456789abcdef"
APP = "fedcba9876543210fedcba9876543210fedcba98"


def test_a_secret_shows_a_mask_everywhere() -> None:
    secret = Secret(API)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, ">20")):
        assert API not in shown
        assert "*" in shown
    assert secret.reveal() == API
    assert secret == Secret(API)
    assert secret != Secret(APP)


def test_a_secret_cannot_be_pickled_or_copied_into_a_file() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(API))
    with pytest.raises(TypeError):
        copy.deepcopy(Credentials.resolve(API, APP, environ={}))


def test_arguments_win_over_the_environment() -> None:
    env = {"DD_API_KEY": "env-api", "DD_APP_KEY": "env-app"}
    from_env = Credentials.resolve(environ=env)
    assert from_env.headers() == {"DD-API-KEY": "env-api", "DD-APPLICATION-KEY": "env-app"}
    given_keys = Credentials.resolve(API, Secret(APP), environ=env)
    assert given_keys.headers() == {"DD-API-KEY": API, "DD-APPLICATION-KEY": APP}
    assert API not in repr(given_keys)
    assert APP not in repr(given_keys)


def test_a_pasted_newline_is_forgiven() -> None:
    assert Credentials.resolve(f" {API}\n", APP, environ={}).api_key.reveal() == API


@pytest.mark.parametrize(
    ("api", "app", "env", "needle"),
    [
        (None, APP, {}, "DD_API_KEY"),
        (API, None, {}, "DD_APP_KEY"),
        ("", APP, {}, "passed empty"),
        (API, "   ", {"DD_APP_KEY": APP}, "passed empty"),
    ],
)
def test_missing_keys_say_where_to_put_them(
    api: str | None, app: str | None, env: dict[str, str], needle: str
) -> None:
    with pytest.raises(ConfigError, match=needle):
        Credentials.resolve(api, app, environ=env)


@given(
    st.text(min_size=1, max_size=30).filter(
        lambda t: any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in t.strip())
    )
)
def test_a_key_that_cannot_be_a_key_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Credentials.resolve(f"k{bad}k", APP, environ={})
    assert f"k{bad}k" not in str(caught.value)
