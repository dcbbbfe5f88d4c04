"""Sites, DD_SITE and the rule for where keys may be sent."""

from __future__ import annotations

import ipaddress

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.sites import (
    DEFAULT_SITE,
    SITES,
    api_url,
    is_loopback_host,
    normalize_site,
    resolve_base_url,
    site_of,
)
from ddinc.errors import ConfigError
from tests.conftest import shared_path


def test_the_nine_sites_are_the_specs_server_enum() -> None:
    spec = yaml.safe_load(shared_path("datadog", "openapi-incidents.yaml").read_text())
    enum = spec["servers"][0]["variables"]["site"]["enum"]
    assert sorted(SITES) == sorted(enum)
    assert len(SITES) == 9


@pytest.mark.parametrize("site", SITES)
def test_every_site_has_an_https_api_host_that_maps_back(site: str) -> None:
    url = api_url(site)
    assert url == f"https://api.{site}"
    assert site_of(url) == site
    assert resolve_base_url(site=site) == url
    assert resolve_base_url(base_url=url + "/") == url


def test_site_names_forgive_case_and_spaces_only() -> None:
    assert normalize_site("  US3.DatadogHQ.com ") == "us3.datadoghq.com"
    with pytest.raises(ConfigError, match=r"Did you mean 'datadoghq.eu'"):
        normalize_site("app.datadoghq.eu")
    with pytest.raises(ConfigError, match=r"Did you mean 'datadoghq.com'"):
        normalize_site("https://api.datadoghq.com")
    with pytest.raises(ConfigError, match=r"not a Datadog site.*us5.datadoghq.com"):
        normalize_site("example.com")


def test_dd_site_is_read_and_the_default_is_us1() -> None:
    assert resolve_base_url(environ={}) == f"https://api.{DEFAULT_SITE}"
    assert resolve_base_url(environ={"DD_SITE": "datadoghq.eu"}) == "https://api.datadoghq.eu"
    # An explicit site wins over the environment.
    explicit = resolve_base_url(site="ap1.datadoghq.com", environ={"DD_SITE": "datadoghq.eu"})
    assert explicit == "https://api.ap1.datadoghq.com"
    with pytest.raises(ConfigError, match="DD_SITE"):
        resolve_base_url(environ={"DD_SITE": "datadog.eu"})


def test_site_and_base_url_together_are_refused() -> None:
    with pytest.raises(ConfigError, match="either site= or base_url="):
        resolve_base_url(site="datadoghq.com", base_url="http://127.0.0.1:8126")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8126",
        "http://127.3.2.1:1",
        "http://localhost:9000/",
        "http://[::1]:8126",
        "https://LOCALHOST",
    ],
)
def test_loopback_urls_are_accepted_for_the_emulator(url: str) -> None:
    assert resolve_base_url(base_url=url) == url.rstrip("/")
    assert site_of(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://example.com", "neither a Datadog API site"),
        ("http://10.0.0.5:8126", "neither a Datadog API site"),
        ("http://api.datadoghq.com", "only served over https"),
        ("https://app.datadoghq.eu", "Did you mean 'datadoghq.eu'"),
        ("https://api.datadoghq.com.evil.test", "neither a Datadog API site"),
        ("http://localhost.evil.test", "neither a Datadog API site"),
        ("ftp://127.0.0.1", "not an http"),
        ("127.0.0.1:8126", "not an http"),
        ("http://127.0.0.1:8126/api/v2", "has a path"),
        ("https://user:pw@api.datadoghq.com", "credentials"),
    ],
)
def test_other_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        resolve_base_url(base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        # A trailing dot makes an absolute DNS name: the resolver may ask a DNS server,
        # which can answer any address, instead of /etc/hosts.
        "http://localhost.:8126",
        "http://127.0.0.1.:8126",
        # A space is part of the host httpx would look up, not loopback.
        "http://127.0.0.1 :8126",
    ],
)
def test_loopback_look_alikes_that_go_through_dns_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="neither a Datadog API site"):
        resolve_base_url(base_url=url)


@pytest.mark.parametrize(
    "url", ["https://api.datadoghq.com:abc", "http://127.0.0.1:99999", "http://[::1.]:8126"]
)
def test_urls_that_cannot_be_parsed_are_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        resolve_base_url(base_url=url)


@pytest.mark.parametrize(
    "url", ["ftp://me:SECRETKEY@127.0.0.1", "SECRETKEY@127.0.0.1:8126", "http://a:SECRETKEY@h:x"]
)
def test_a_key_written_into_a_refused_url_is_not_echoed(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_base_url(base_url=url)
    assert "SECRETKEY" not in str(caught.value)


def test_a_custom_transport_accepts_any_http_url() -> None:
    # The requests never leave the process, so no key can leak to that host.
    assert resolve_base_url(base_url="http://emulator.local", custom_transport=True) == (
        "http://emulator.local"
    )
    with pytest.raises(ConfigError):
        resolve_base_url(base_url="http://emulator.local")


@given(st.ip_addresses(v=4))
def test_only_127_slash_8_is_loopback_among_ipv4(address: ipaddress.IPv4Address) -> None:
    assert is_loopback_host(str(address)) == (str(address).split(".")[0] == "127")


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){1,3}", fullmatch=True))
def test_random_host_names_are_never_accepted(host: str) -> None:
    if host == "localhost" or host in {f"api.{site}" for site in SITES}:
        return
    with pytest.raises(ConfigError):
        resolve_base_url(base_url=f"https://{host}")


@pytest.mark.parametrize(
    "site",
    [
        "https://SECRETKEY123@api.datadoghq.com",
        "https://user:SECRETKEY123@api.datadoghq.com/",
        "SECRETKEY123@datadoghq.eu",
    ],
)
def test_a_site_written_with_credentials_is_not_echoed(site: str) -> None:
    with pytest.raises(ConfigError) as refused:
        resolve_base_url(environ={"DD_SITE": site})
    assert "SECRETKEY123" not in str(refused.value)
    assert "***@" in str(refused.value)


def test_control_characters_in_a_refused_site_are_shown_escaped() -> None:
    with pytest.raises(ConfigError) as refused:
        resolve_base_url(site="datadoghq.eu\x1b[2J")
    assert "\x1b" not in str(refused.value)
    assert "\\x1b" in str(refused.value)
