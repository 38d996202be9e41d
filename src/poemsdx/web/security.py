"""Who may use the web app, and proof that a form came from our own page.

* **API tokens** are random secrets handed to people or systems; the server keeps only a
  salted SHA-256 of each (one line per token in the file named by
  ``POEMSDX_API_TOKENS_FILE``: ``name:sha256:<salt hex>:<digest hex>``). Tokens are
  generated here with 256 bits of entropy, so a fast salted hash is enough — a slow KDF
  would only add latency to every API call. The token's name is the actor recorded in the
  registry's audit trail. Create one with ``python -m poemsdx.web.security NAME``.
* **Sessions** (pages, when tokens are configured) and **CSRF tokens** are HMAC-SHA256
  signatures with a per-process secret: nothing is stored server-side.
* CSRF uses a signed double submit: a random nonce in an HttpOnly, SameSite=Strict cookie,
  and in each form ``HMAC(secret, nonce)``. A cross-site page can neither read the cookie
  nor compute the signature, and a planted cookie is useless without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Location

__all__ = [
    "MIN_TOKEN_LENGTH",
    "Signer",
    "TokenRecord",
    "csrf_token",
    "hash_token",
    "load_tokens",
    "new_token",
    "parse_record",
    "verify_csrf",
    "verify_token",
]

MIN_TOKEN_LENGTH = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One configured API token: its name (the actor) and its salted digest."""

    name: str
    salt: bytes
    digest: bytes

    def matches(self, token: str) -> bool:
        candidate = hashlib.sha256(self.salt + token.encode("utf-8")).digest()
        return hmac.compare_digest(candidate, self.digest)

    def line(self) -> str:
        """The record as one line of the tokens file."""
        return f"{self.name}:sha256:{self.salt.hex()}:{self.digest.hex()}"


def new_token() -> str:
    """A fresh random token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(name: str, token: str, salt: bytes | None = None) -> TokenRecord:
    """The record to store for ``token``; refuses short tokens and odd names."""
    if not _NAME.match(name):
        raise InputError(
            f"token name {name!r} must be 1-64 letters, digits or . _ @ - (it is the actor "
            "recorded in the audit trail)"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise InputError(f"a token must be at least {MIN_TOKEN_LENGTH} characters")
    salt = salt if salt is not None else secrets.token_bytes(16)
    return TokenRecord(name, salt, hashlib.sha256(salt + token.encode("utf-8")).digest())


def parse_record(line: str, where: Location | None = None) -> TokenRecord:
    """Read one ``name:sha256:<salt>:<digest>`` line."""
    parts = line.strip().split(":")
    if len(parts) != 4 or parts[1] != "sha256":
        raise InputError("expected name:sha256:<salt hex>:<digest hex>", where)
    name, _, salt, digest = parts
    if not _NAME.match(name):
        raise InputError(f"token name {name!r} is not allowed", where)
    if not (_HEX.match(salt) and len(salt) >= 16 and _HEX.match(digest) and len(digest) == 64):
        raise InputError("salt and digest must be lower-case hex (digest: 64 digits)", where)
    return TokenRecord(name, bytes.fromhex(salt), bytes.fromhex(digest))


def load_tokens(path: str | Path) -> tuple[TokenRecord, ...]:
    """Every record of a tokens file (``#`` comments and blank lines skipped)."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the API tokens file: {exc}", Location(str(p))) from exc
    records: list[TokenRecord] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() and not raw.lstrip().startswith("#"):
            records.append(parse_record(raw, Location(str(p), number)))
    if not records:
        raise InputError("the API tokens file holds no token", Location(str(p)))
    names = [r.name for r in records]
    if len(set(names)) != len(names):
        raise InputError("each token needs its own name (names are audit actors)", Location(str(p)))
    return tuple(records)


def verify_token(records: Sequence[TokenRecord], token: str | None) -> str | None:
    """The name of the record ``token`` matches, or None. Every record is checked, so the
    time taken does not say which one matched."""
    if not token:
        return None
    found = None
    for record in records:
        if record.matches(token):
            found = record.name
    return found


class Signer:
    """HMAC-SHA256 signatures over short text values (session cookies, CSRF tokens)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise InputError("the web secret key must be at least 16 bytes")
        self._secret = secret

    def mac(self, purpose: str, value: str) -> str:
        msg = f"{purpose}\0{value}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def session(self, name: str, hours: float, now: float | None = None) -> str:
        """A session cookie value naming the token holder, valid for ``hours``."""
        expires = int((now if now is not None else time.time()) + hours * 3600)
        body = f"{name}|{expires}"
        return f"{body}|{self.mac('session', body)}"

    def read_session(self, value: str | None, now: float | None = None) -> str | None:
        """The name in a valid, unexpired session cookie, else None."""
        if not value or value.count("|") != 2:
            return None
        name, expires, mac = value.split("|")
        if not hmac.compare_digest(mac, self.mac("session", f"{name}|{expires}")):
            return None
        if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
            return None
        return name


def csrf_token(signer: Signer, nonce: str) -> str:
    """The value a form must carry for the CSRF cookie ``nonce``."""
    return signer.mac("csrf", nonce)


def verify_csrf(signer: Signer, nonce: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(signer, nonce), submitted)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m poemsdx.web.security NAME``: print a new token once, and its file line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m poemsdx.web.security NAME", file=sys.stderr)
        return 2
    token = new_token()
    try:
        record = hash_token(args[0], token)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"token (give it to {args[0]}; it is not stored): {token}")
    print("line for the file named by POEMSDX_API_TOKENS_FILE:")
    print(record.line())
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main()
    raise SystemExit(main())
