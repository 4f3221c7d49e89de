"""The providers file: what it accepts, the start-up errors that name provider and key, /login?city=."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.auth import providers
from portal.config import ConfigError
from tests.common.apps import make_app

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "providers.example.toml"
SECRETS = {"PORTAL_OIDC_HAMEENLINNA_SECRET": "s1", "PORTAL_OIDC_SHARED_SECRET": "s2", "PORTAL_OIDC_ENTRA_SECRET": "s3"}
GOOD = """
[providers.porvoo]
issuer = "https://login.example.org/porvoo"
client_id = "portal"
client_secret_env = "PORTAL_OIDC_PORVOO_SECRET"
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None, development: bool = False) -> list[providers.Provider]:
    path = tmp_path / "providers.toml"
    path.write_text(text)
    return providers.load(path, environ={"PORTAL_OIDC_PORVOO_SECRET": "x"} if env is None else env,
                          development=development)


def test_the_example_file_loads() -> None:
    hameenlinna, shared, entra = providers.load(EXAMPLE, environ=SECRETS)
    assert (hameenlinna.name, hameenlinna.title, hameenlinna.city, hameenlinna.client_secret) == (
        "hameenlinna", "Hämeenlinna", "109", "s1")
    assert hameenlinna.scopes == ("openid", "profile", "email") and "s1" not in repr(hameenlinna)
    assert shared.city_claim == "municipality" and shared.cities == ("638", "286") and shared.city is None
    assert dict(entra.tenants) == {"00000000-0000-0000-0000-000000000297": "297",
                                   "00000000-0000-0000-0000-000000000743": "743"}
    assert entra.discovered_issuer == "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert entra.issuer_for("00000000-0000-0000-0000-000000000743") == (
        "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000743/v2.0")
    assert entra.issuer_for("99999999-0000-0000-0000-000000000000") is None and entra.issuer_for(None) is None
    assert hameenlinna.issuer_for("anything") == hameenlinna.issuer == hameenlinna.discovered_issuer
    assert [p.serves("743") for p in (hameenlinna, shared, entra)] == [False, False, True]
    assert [p.serves("638") for p in (hameenlinna, shared, entra)] == [False, True, False]


@pytest.mark.parametrize("text, message", [
    (GOOD + 'city = "638"\ncliend_id = "x"\n', "providers.porvoo: unknown key 'cliend_id'"),
    (GOOD.replace("PORVOO_SECRET", "OTHER_SECRET") + 'city = "638"\n',
     "providers.porvoo: the environment variable PORTAL_OIDC_OTHER_SECRET (client_secret_env) is not set"),
    (GOOD + 'city = "999"\n', "providers.porvoo.city: unknown municipality code 999"),
    (GOOD + 'city = 638\n', "providers.porvoo.city: a municipality code is a string"),
    (GOOD + 'city_claim = "m"\ncities = ["638", "999"]\n', "providers.porvoo.cities: unknown municipality code 999"),
    (GOOD + 'tenants = { "t1" = "491" }\n', "providers.porvoo.issuer: a provider with 'tenants' needs a multi-tenant issuer"),
    (GOOD, "set exactly one of 'city', 'city_claim' with 'cities', or 'tenants'"),
    (GOOD + 'city = "638"\ncity_claim = "m"\ncities = ["638"]\n', "providers.porvoo: set exactly one"),
    (GOOD + 'city_claim = "m"\n', "providers.porvoo: set exactly one"),
    (GOOD.replace('client_id = "portal"\n', "") + 'city = "638"\n', "providers.porvoo: 'client_id' is required"),
    (GOOD.replace("https://", "http://") + 'city = "638"\n', "providers.porvoo.issuer: 'http://login.example.org/porvoo' must be https"),
    (GOOD + 'city = "638"\nscopes = ["profile"]\n', "providers.porvoo.scopes"),
    (GOOD.replace("providers.porvoo", 'providers."Porvoo!"') + 'city = "638"\n', "the name must be lower-case"),
    ('[provider.porvoo]\nissuer = "x"\n', "unknown top-level key 'provider'"),
    ("[providers.porvoo\n", "is not valid TOML"),
])
def test_a_mistake_names_the_provider_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)
    assert message in str(raised.value)


def test_the_tenants_city_code_is_checked(tmp_path: Path) -> None:
    text = GOOD.replace("login.example.org/porvoo", "login.microsoftonline.com/organizations/v2.0") + 'tenants = { "t1" = "999" }\n'
    with pytest.raises(ConfigError, match=r"providers\.porvoo\.tenants: unknown municipality code 999"):
        load(tmp_path, text)


def test_plain_http_only_on_loopback_in_development(tmp_path: Path) -> None:
    local = GOOD.replace("https://login.example.org", "http://127.0.0.1:8080") + 'city = "638"\n'
    assert load(tmp_path, local, development=True)[0].issuer == "http://127.0.0.1:8080/porvoo"
    with pytest.raises(ConfigError, match="must be https"):
        load(tmp_path, local)
    remote = GOOD.replace("https://", "http://") + 'city = "638"\n'
    with pytest.raises(ConfigError, match="must be https"):
        load(tmp_path, remote, development=True)


def test_a_misconfigured_file_stops_the_start_up(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(GOOD + 'city = "638"\n')
    monkeypatch.delenv("PORTAL_OIDC_PORVOO_SECRET", raising=False)
    with pytest.raises(ConfigError, match=r"providers\.porvoo: the environment variable PORTAL_OIDC_PORVOO_SECRET"):
        make_app(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path, PROVIDERS_FILE=str(path))
    with pytest.raises(ConfigError, match="cannot be read"):
        make_app(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, PROVIDERS_FILE=str(tmp_path / "missing.toml"))
    monkeypatch.setenv("PORTAL_OIDC_PORVOO_SECRET", "x")
    path.write_text(GOOD.replace("providers.porvoo", "providers.dev") + 'city = "638"\n')
    with pytest.raises(ConfigError, match=r"providers\.dev: the name is taken"):
        make_app(f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path, PROVIDERS_FILE=str(path))


def test_the_environment_names_the_file(tmp_path: Path) -> None:
    from portal.config import from_environment

    assert from_environment(tmp_path, {"PORTAL_PROVIDERS_FILE": "/etc/portal/providers.toml"})["PROVIDERS_FILE"] == (
        "/etc/portal/providers.toml")
    assert from_environment(tmp_path, {})["PROVIDERS_FILE"] is None


# --- the login page ---------------------------------------------------------------------------------

@pytest.fixture
def client(tmp_path: Path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return make_app(f"sqlite:///{tmp_path / 'l.sqlite3'}", tmp_path, PROVIDERS_FILE=str(EXAMPLE)).test_client()


def test_the_login_page_lists_every_provider(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    for name, title in [("dev", "Development provider"), ("hameenlinna", "Hämeenlinna"),
                        ("shared", "Porvoo and Kouvola"), ("entra", "Kuopio or Seinäjoki (Microsoft)")]:
        assert f'href="/auth/login/{name}"' in page and f"Log in with {title}" in page


@pytest.mark.parametrize("code, name", [("109", "hameenlinna"), ("638", "shared"), ("286", "shared"),
                                        ("743", "entra"), ("297", "entra")])
def test_login_with_a_city_goes_to_its_provider(client, code: str, name: str) -> None:
    answer = client.get(f"/login?city={code}&next=/p/iam/")
    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 302 and location.path == f"/auth/login/{name}"
    assert parse_qs(location.query) == {"next": ["/p/iam/"]}
    assert "next" not in urlsplit(client.get(f"/login?city={code}&next=https://evil.example/").headers["Location"]).query


@pytest.mark.parametrize("code, message", [("491", "No login provider is configured for Mikkeli (491)"),
                                           ("999", "There is no municipality with the code"),
                                           ("abc", "There is no municipality with the code")])
def test_login_with_an_unknown_city_shows_the_login_page(client, code: str, message: str) -> None:
    answer = client.get(f"/login?city={code}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and message in page and "Log in with Hämeenlinna" in page
