"""Passwords, write keys and API tokens.

Passwords are stored as ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (hex), made by
:func:`hash_password` (``wegweiser hash-password``). Write keys and API tokens are stored as
``sha256$<hash>`` (hex), made by :func:`hash_key` (``wegweiser keys add``): they are long
random strings, so one unsalted hash suffices. Plaintext entries are still accepted
(``wegweiser keys hash`` replaces them). Keys and tokens are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash a password for ``server.users``.

    >>> h = hash_password("geheim", salt=b"0123456789abcdef")
    >>> h.startswith("scrypt$16384$8$1$"), verify_password("geheim", h), verify_password("x", h)
    (True, True, False)
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded`` (False for a malformed hash)."""
    try:
        kind, n, r, p, salt, digest = encoded.split("$")
        if kind != "scrypt":
            return False
        actual = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
        return hmac.compare_digest(actual, bytes.fromhex(digest))
    except (ValueError, TypeError):
        return False


def new_key(prefix: str) -> str:
    """A random key such as ``wk_...`` (write key) or ``at_...`` (API token)."""
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def basic_user(header: str | None) -> str | None:
    """The user name of an ``Authorization: Basic`` header (how Segment/RudderStack SDKs send
    the write key, with an empty password), or None.

    >>> basic_user("Basic " + base64.b64encode(b"wk_123:").decode())
    'wk_123'
    >>> basic_user("Bearer x") is None, basic_user("Basic !!!") is None
    (True, True)
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


KEY_HASH = "sha256$"


def hash_key(key: str) -> str:
    """How a write key or API token is stored.

    >>> hash_key("wk_123")[:17]
    'sha256$8083cac54f'
    """
    return KEY_HASH + hashlib.sha256(key.encode("utf-8")).hexdigest()


#: API token scopes, weakest first; an entry ``"admin:sha256$..."`` has scope admin, an
#: entry without a scope prefix is ``read`` (as every token was before scopes existed)
SCOPES = ("read", "write", "admin")


def split_scope(entry: str) -> tuple[str, str]:
    """``(scope, entry)`` of a stored API token entry ``[scope:]key-or-hash``.

    >>> split_scope("admin:sha256$ab"), split_scope("at_x"), split_scope("write:at_x")
    (('admin', 'sha256$ab'), ('read', 'at_x'), ('write', 'at_x'))
    """
    scope, sep, rest = entry.partition(":")
    if sep and scope in SCOPES and rest:
        return scope, rest
    return "read", entry


def with_scope(entry: str, scope: str) -> str:
    """The stored form of ``entry`` with ``scope`` (``read`` is written without prefix)."""
    return entry if scope == "read" else f"{scope}:{entry}"


def is_hashed(entry: str) -> bool:
    """Whether a stored entry is a hash (else it is the key itself, in plaintext)."""
    return split_scope(entry)[1].startswith(KEY_HASH)


def key_id(entry: str) -> str:
    """The short id of a stored key (hashed or not, with or without a scope prefix): 12 hex
    digits of its hash, the same the collector records as ``write_key`` of each event.

    >>> key_id("wk_123") == key_id(hash_key("wk_123")) == key_id("admin:wk_123")
    True
    """
    entry = split_scope(entry)[1]
    digest = entry if is_hashed(entry) else hash_key(entry)
    return digest[len(KEY_HASH) : len(KEY_HASH) + 12]


def is_known(candidate: str | None, known: Iterable[str]) -> bool:
    """Constant-time membership test of a key or token; ``known`` may hold hashes
    (:func:`hash_key`) and plaintext entries.

    >>> is_known("wk_1", [hash_key("wk_1")]), is_known("wk_1", ["wk_1"]), is_known("x", ["wk_1"])
    (True, True, False)
    """
    return match(candidate, known) is not None


def match(candidate: str | None, known: Iterable[str]) -> str | None:
    """The stored entry of ``known`` that ``candidate`` is (compared in constant time over
    all entries, a scope prefix ``admin:`` etc. left aside), or None.

    >>> match("at_1", ["write:" + hash_key("at_1"), "at_2"]) == "write:" + hash_key("at_1")
    True
    """
    if not candidate:
        return None
    plain = candidate.encode("utf-8", "surrogatepass")
    hashed = (KEY_HASH + hashlib.sha256(plain).hexdigest()).encode()
    found: str | None = None
    for item in known:
        bare = split_scope(item)[1]
        mine = hashed if bare.startswith(KEY_HASH) else plain
        if hmac.compare_digest(mine, bare.encode("utf-8", "surrogatepass")):
            found = item
    return found
