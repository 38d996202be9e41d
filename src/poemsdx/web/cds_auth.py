"""CDS Hooks client authentication: a JWT signed with ES384 or RS384 by an allow-listed
issuer (CDS Hooks 2.0, "Trusting CDS Clients").

A token is accepted only when: its algorithm is allowed (``none`` and every HMAC
algorithm are refused outright); its ``iss`` is configured; its key comes from that
issuer's configured JWKS, or from a ``jku`` URL on the issuer's allow-list; the signature
verifies; ``aud`` is the exact URL of the service being called; ``exp``, ``iat``, ``iss``,
``aud`` and ``jti`` are present; it is not expired and does not live longer than allowed;
and its ``jti`` has not been seen before (an in-memory cache that forgets a ``jti`` once
its token has expired). Tokens are never logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

FORBIDDEN_PREFIXES = ("HS",)


class AuthError(Exception):
    """The request is not authenticated; ``message`` says why (never echoes the token)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TrustedIssuer:
    """An EHR allowed to call the service: its JWK Set, and/or JWKS URLs it may name in
    a token's ``jku`` header (fetched only if listed here)."""

    jwks: Mapping[str, Any] | None = None
    jku: tuple[str, ...] = ()


@dataclass
class ReplayCache:
    """``(iss, jti)`` pairs seen, each kept until its token expires."""

    max_entries: int = 100_000
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_and_add(self, iss: str, jti: str, exp: float, now: float) -> bool:
        """True if the pair is new (and now remembered); False if it is a replay."""
        with self._lock:
            expiry = self._seen.get((iss, jti))
            if expiry is not None and expiry >= now:
                return False
            if len(self._seen) >= self.max_entries:
                self._seen = {k: v for k, v in self._seen.items() if v >= now}
                if len(self._seen) >= self.max_entries:
                    raise AuthError("too many tokens in flight; try again shortly")
            self._seen[(iss, jti)] = exp
            return True


class JwtVerifier:
    """Verifies the bearer token of one CDS Hooks request."""

    def __init__(
        self,
        issuers: Mapping[str, TrustedIssuer],
        *,
        algorithms: tuple[str, ...] = ("ES384", "RS384"),
        leeway_s: float = 30.0,
        max_lifetime_s: float = 300.0,
        jwks_timeout_s: float = 5.0,
        jwks_cache_s: float = 300.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        bad = [a for a in algorithms if a == "none" or a.upper().startswith(FORBIDDEN_PREFIXES)]
        if bad:
            raise ValueError(f"algorithms {bad} are forbidden by CDS Hooks")
        self.issuers = dict(issuers)
        self.algorithms = algorithms
        self.leeway_s = leeway_s
        self.max_lifetime_s = max_lifetime_s
        self.jwks_timeout_s = jwks_timeout_s
        self.jwks_cache_s = jwks_cache_s
        self.transport = transport
        self.replay = ReplayCache()
        self._jwks: dict[str, tuple[float, dict[str, Any]]] = {}

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims, or ``AuthError``."""
        if not authorization:
            raise AuthError("missing Authorization header; a bearer JWT is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization must be 'Bearer <JWT>'")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed JWT: {exc}") from None
        alg = str(header.get("alg", ""))
        if alg.lower() == "none" or alg.upper().startswith(FORBIDDEN_PREFIXES):
            raise AuthError(f"JWT algorithm '{alg}' is not allowed (use ES384 or RS384)")
        if alg not in self.algorithms:
            raise AuthError(
                f"JWT algorithm '{alg}' is not accepted; allowed: {', '.join(self.algorithms)}"
            )
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in self.issuers:
            raise AuthError("JWT issuer is not trusted")
        key = await self._key(self.issuers[iss], header, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("JWT has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("JWT audience is not the URL of this service") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"JWT lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"JWT rejected: {exc}") from None
        now = time.time()
        if float(claims["exp"]) - now > self.max_lifetime_s + self.leeway_s:
            raise AuthError(f"JWT lives longer than {self.max_lifetime_s:g} s")
        if not self.replay.check_and_add(iss, str(claims["jti"]), float(claims["exp"]), now):
            raise AuthError("JWT was already used (jti replay)")
        return claims

    async def _key(self, issuer: TrustedIssuer, header: Mapping[str, Any], alg: str) -> Any:
        jku = header.get("jku")
        if jku is not None:
            if jku not in issuer.jku:
                raise AuthError("JWT 'jku' is not on the issuer's allow-list")
            jwks = await self._fetch(str(jku))
        elif issuer.jwks is not None:
            jwks = dict(issuer.jwks)
        else:
            raise AuthError("no keys configured for this issuer")
        kid = header.get("kid")
        candidates = []
        for raw in jwks.get("keys") or []:
            if not isinstance(raw, dict):
                continue
            if kid is not None and raw.get("kid") != kid:
                continue
            if raw.get("alg") not in (None, alg):
                continue
            candidates.append(raw)
        if not candidates:
            raise AuthError("no key in the issuer's JWKS matches the JWT 'kid'")
        try:
            return jwt.PyJWK(candidates[0], algorithm=alg).key
        except jwt.PyJWTError as exc:
            raise AuthError(f"unusable key in the issuer's JWKS: {exc}") from None

    async def _fetch(self, url: str) -> dict[str, Any]:
        cached = self._jwks.get(url)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.jwks_timeout_s, follow_redirects=False
            ) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(f"cannot fetch the issuer's JWKS: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise AuthError("the issuer's JWKS is not a JWK Set")
        self._jwks[url] = (now + self.jwks_cache_s, data)
        return data
