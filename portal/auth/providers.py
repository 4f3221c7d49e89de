"""The OpenID providers the portal trusts, read from the TOML file named by ``PORTAL_PROVIDERS_FILE``.

Each provider vouches for the municipality of its users in exactly one way: one ``city`` for all,
a ``city_claim`` limited to ``cities``, or Entra ID ``tenants`` mapped to codes. The city is never
something a user can choose. A mistake in the file stops the start-up with a message naming the
provider and the key, because a half-working login is worse than none.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ledger import municipalities as M
from ledger.errors import LedgerError
from portal.config import ConfigError

KEYS = {"title", "issuer", "client_id", "client_secret_env", "scopes", "city", "city_claim", "cities", "tenants"}
REQUIRED = ("issuer", "client_id", "client_secret_env")
DEFAULT_SCOPES = ("openid", "profile", "email")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TENANT_PLACEHOLDER = "{tenantid}"
# Microsoft's multi-tenant endpoints; discovery there names the issuer with "{tenantid}" in its place.
MULTI_TENANT_SEGMENTS = ("/organizations/", "/common/")


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    issuer: str  # as configured: discovery is at issuer + /.well-known/openid-configuration
    client_id: str = ""
    client_secret: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    city: str | None = None
    city_claim: str | None = None
    cities: tuple[str, ...] = ()
    tenants: tuple[tuple[str, str], ...] = ()  # (tenant id, municipality code)
    home: str | None = None  # the portal address the provider's callback is registered on (dev provider)

    def __repr__(self) -> str:  # never the secret
        return f"Provider({self.name!r}, issuer={self.issuer!r})"

    @property
    def multi_tenant(self) -> bool:
        return bool(self.tenants)

    @property
    def discovered_issuer(self) -> str:
        """What discovery must say: the issuer itself, or Entra's template for a multi-tenant app."""
        if not self.multi_tenant or TENANT_PLACEHOLDER in self.issuer:
            return self.issuer
        path = self.issuer + "/"
        for segment in MULTI_TENANT_SEGMENTS:
            path = path.replace(segment, f"/{TENANT_PLACEHOLDER}/", 1)
        return path.rstrip("/")

    def issuer_for(self, tid: str | None) -> str | None:
        """The exact ``iss`` an ID token must carry; None for a tenant this provider does not serve."""
        if not self.multi_tenant:
            return self.issuer
        if not tid or tid not in dict(self.tenants):
            return None
        return self.discovered_issuer.replace(TENANT_PLACEHOLDER, tid)

    def serves(self, code: str) -> bool:
        return code == self.city or code in self.cities or code in dict(self.tenants).values()


def load(path: str | os.PathLike, *, environ: Mapping[str, str] | None = None,
         development: bool = False) -> list[Provider]:
    """Read and check the whole file; the first mistake raises ``ConfigError``."""
    env = os.environ if environ is None else environ
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"PORTAL_PROVIDERS_FILE {str(path)!r} cannot be read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"PORTAL_PROVIDERS_FILE {str(path)!r} is not valid TOML: {exc}") from exc
    extra = set(data) - {"providers"}
    if extra:
        raise ConfigError(f"{path}: unknown top-level key {sorted(extra)[0]!r}; put each provider under [providers.<name>]")
    tables = data.get("providers", {})
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: no [providers.<name>] table")
    return [parse(name, table, env, development) for name, table in tables.items()]


def parse(name: str, table: Any, env: Mapping[str, str], development: bool) -> Provider:
    where = f"providers.{name}"
    if not NAME.match(name):
        raise ConfigError(f"{where}: the name must be lower-case letters, digits, '-' or '_' (it is part of the callback URL)")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}")
    for key in REQUIRED:
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ConfigError(f"{where}: {key!r} is required (a string)")
    issuer = _issuer(where, table["issuer"].strip().rstrip("/"), development)
    secret_env = table["client_secret_env"].strip()
    secret = env.get(secret_env, "")
    if not secret:
        raise ConfigError(f"{where}: the environment variable {secret_env} (client_secret_env) is not set")
    scopes = table.get("scopes", list(DEFAULT_SCOPES))
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes) or "openid" not in scopes:
        raise ConfigError(f"{where}.scopes: a list of strings that includes 'openid'")
    title = table.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f"{where}.title: a non-empty string")
    ways = [k for k in ("city", "city_claim", "tenants") if k in table]
    if len(ways) != 1 or ("cities" in table) != ("city_claim" in table):
        raise ConfigError(f"{where}: set exactly one of 'city', 'city_claim' with 'cities', or 'tenants' "
                          "(how the provider vouches for its users' municipality)")
    common: dict[str, Any] = {"name": name, "title": title.strip(), "issuer": issuer,
                              "client_id": table["client_id"].strip(), "client_secret": secret, "scopes": tuple(scopes)}
    if "city" in table:
        return Provider(**common, city=_code(f"{where}.city", table["city"]))
    if "city_claim" in table:
        claim, cities = table["city_claim"], table["cities"]
        if not isinstance(claim, str) or not claim.strip():
            raise ConfigError(f"{where}.city_claim: the name of a claim")
        if not isinstance(cities, list) or not cities:
            raise ConfigError(f"{where}.cities: a non-empty list of municipality codes")
        return Provider(**common, city_claim=claim.strip(), cities=tuple(_code(f"{where}.cities", c) for c in cities))
    tenants = table["tenants"]
    if not isinstance(tenants, dict) or not tenants:
        raise ConfigError(f"{where}.tenants: a table of tenant id = municipality code")
    if not any(s in issuer + "/" for s in MULTI_TENANT_SEGMENTS) and TENANT_PLACEHOLDER not in issuer:
        raise ConfigError(f"{where}.issuer: a provider with 'tenants' needs a multi-tenant issuer, e.g. "
                          "https://login.microsoftonline.com/organizations/v2.0")
    pairs = tuple((str(tid).strip(), _code(f"{where}.tenants", code)) for tid, code in tenants.items())
    if not all(tid and "/" not in tid for tid, _ in pairs):
        raise ConfigError(f"{where}.tenants: a tenant id must be a non-empty id without '/'")
    return Provider(**common, tenants=pairs)


def _code(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: a municipality code is a string, e.g. \"638\" (not {value!r})")
    try:
        return M.lookup(value).code
    except LedgerError as exc:
        raise ConfigError(f"{where}: {exc.message}") from exc


def _issuer(where: str, issuer: str, development: bool) -> str:
    """https; plain http only for a provider on loopback in development (a test or local provider)."""
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or not parts.hostname:
        raise ConfigError(f"{where}.issuer: {issuer!r} is not an issuer URL")
    if parts.scheme == "https":
        return issuer
    if parts.scheme == "http" and development and _loopback(parts.hostname):
        return issuer
    raise ConfigError(f"{where}.issuer: {issuer!r} must be https "
                      "(plain http only on loopback with PORTAL_ENV=development)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
