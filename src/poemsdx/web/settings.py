"""Configuration of the web app and REST API.

The defaults suit one clinician on one machine: listen on 127.0.0.1, no login, a 5 MB
request limit, the per-user SQLite registry. Listening on any other address exposes
patient data to a network, so it needs API tokens and ``check`` refuses to go on without
them — the mistake is caught before a socket opens, not after data leaked.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from .security import TokenRecord, load_tokens

__all__ = ["LOOPBACK_NAMES", "TOKENS_ENV", "WebSettings", "is_loopback"]

TOKENS_ENV = "POEMSDX_API_TOKENS_FILE"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
LANGUAGES = ("en", "ja", "zh")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; a name is never trusted to be local."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """Everything ``create_app`` needs; build with ``WebSettings.from_env(...)`` to read
    ``POEMSDX_API_TOKENS_FILE``.

    ``tokens`` empty means no login, allowed only on a loopback ``host``. ``allowed_hosts``
    are the Host header names accepted (default: the loopback names without tokens, which
    stops DNS-rebinding pages from reading a local registry; any host with tokens).
    ``secure_cookies`` None means Secure cookies whenever tokens are configured (the app
    then sits behind TLS). ``cache_bytes`` bounds the in-memory cache of evaluation
    results (0 turns it off). ``cds`` configures the mounted CDS Hooks service
    (``CdsSettings``; None uses its defaults, which reject unauthenticated hook calls).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = None
    tokens: tuple[TokenRecord, ...] = ()
    max_body_bytes: int = 5_000_000
    lang: str = "en"
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    secure_cookies: bool | None = None
    allowed_hosts: tuple[str, ...] | None = None
    session_hours: float = 12.0
    cache_bytes: int = 64_000_000
    mount_cds: bool = True
    cds: Any = None
    knowledge_root: str | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> WebSettings:
        """Settings with ``overrides``; tokens from ``POEMSDX_API_TOKENS_FILE`` unless given."""
        if "tokens" not in overrides:
            path = os.environ.get(TOKENS_ENV, "").strip()
            if path:
                overrides["tokens"] = load_tokens(Path(path))
        return cls(**overrides)

    @property
    def login_required(self) -> bool:
        return bool(self.tokens)

    @property
    def cookies_secure(self) -> bool:
        return self.login_required if self.secure_cookies is None else self.secure_cookies

    def host_names(self) -> tuple[str, ...] | None:
        """Accepted Host names (lower case, no port); None accepts any."""
        if self.allowed_hosts is not None:
            return tuple(h.strip("[]").lower() for h in self.allowed_hosts)
        if self.login_required:
            return None
        return (*LOOPBACK_NAMES, self.host.strip("[]").lower())

    def check(self) -> WebSettings:
        """Refuse unsafe or impossible settings; returns self for chaining."""
        if not self.tokens and not is_loopback(self.host):
            raise InputError(
                f"refusing to serve on {self.host} without API tokens: anyone on the network "
                f"could read the registry. Create a token with `python -m "
                f"poemsdx.web.security NAME`, put its line in a file and set {TOKENS_ENV} "
                "to that file — or serve on 127.0.0.1"
            )
        if not 1 <= self.port <= 65535:
            raise InputError(f"port must be 1-65535, got {self.port}")
        if self.max_body_bytes < 1024:
            raise InputError(f"max_body_bytes must be at least 1024, got {self.max_body_bytes}")
        if self.lang not in LANGUAGES:
            raise InputError(f"unknown language '{self.lang}'; allowed: {', '.join(LANGUAGES)}")
        if len(self.secret_key) < 16:
            raise InputError("secret_key must be at least 16 bytes")
        return self

    def with_(self, **changes: Any) -> WebSettings:
        return replace(self, **changes)
