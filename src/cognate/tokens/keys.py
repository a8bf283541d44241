"""The key ring: each pool's RSA-2048 token signing keys, cached in process memory, and its JWKS.

Cognito signs ID and access tokens with different keys (developer guide, "Verifying a JSON Web
Token"): every pool has one current key per purpose ("id", "access"), created on first use.
Private keys are stored as AES-GCM ciphertext under the master key (purpose "signing-key");
the decrypted key object lives only in memory, so signing touches neither the database nor the
cipher. `kid` is the key's RFC 7638 JWK thumbprint in standard base64, as Cognito's kids look.

Many processes may share one database:

* Creation is race-safe without locks across processes: a process that finds no current key
  inserts one, re-reads, and signs with the *oldest* unretired key of that purpose (ties broken
  by kid); a process that lost the race deletes the key it made, which never signed anything.
* `rotate` retires the current keys and makes new ones. Another process keeps signing with its
  cached key for at most CACHE_TTL_SECONDS; tokens it signs meanwhile still verify, because
  retired keys stay in the JWKS (and in every ring) for RETIRED_KEY_LIFETIME.
* A token whose kid this process does not know makes it reload the pool's keys, at most once
  per RELOAD_INTERVAL_SECONDS per pool, so forged kids cannot turn into a database flood
  (RFC 8725 §3.10: the kid is only ever looked up in this in-memory map).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cognate.context import Context
from cognate.store import tokens as token_store
from cognate.store.keys import insert_key
from cognate.store.store import Store

SECRET_PURPOSE = "signing-key"  # noqa: S105 (a SecretBox purpose label, not a secret)
CACHE_TTL_SECONDS = 60.0
RELOAD_INTERVAL_SECONDS = 1.0
# The longest access or ID token validity a client may set (CreateUserPoolClient: 1 day), plus
# clock skew: a retired key verifies every token it signed until those tokens have expired.
RETIRED_KEY_LIFETIME = timedelta(days=1, minutes=5)
PURPOSES = token_store.TOKEN_PURPOSES


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A loaded key: `kid`, purpose, the private and public key objects, retirement time."""

    kid: str
    purpose: str
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    retired_at: datetime | None

    def jwk(self) -> dict[str, str]:
        """The public key as an RFC 7517 JWK, members as in Cognito's jwks.json."""
        numbers = self.public_key.public_numbers()
        return {
            "alg": "RS256",
            "e": _b64url_uint(numbers.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": _b64url_uint(numbers.n),
            "use": "sig",
        }


def thumbprint_kid(public_key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 SHA-256 thumbprint of the key, in standard base64 (Cognito's kid style)."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.b64encode(hashlib.sha256(canonical.encode()).digest()).decode()


@dataclass(slots=True)
class _PoolKeys:
    signing: dict[str, SigningKey]
    by_kid: dict[str, SigningKey]
    loaded_at: float = field(default_factory=time.monotonic)


class KeyRing:
    """The loaded keys of every pool this process has signed or verified for."""

    def __init__(
        self,
        *,
        ttl_seconds: float = CACHE_TTL_SECONDS,
        reload_interval_seconds: float = RELOAD_INTERVAL_SECONDS,
    ) -> None:
        self._ttl = ttl_seconds
        self._reload_interval = reload_interval_seconds
        self._pools: dict[str, _PoolKeys] = {}
        # kid -> loaded key: a reload decrypts and parses only keys it has not seen.
        self._loaded: dict[str, SigningKey] = {}
        self._lock = anyio.Lock()
        # Access tokens whose signature was checked, with their claims: tokens/access.py.
        self.verified_tokens: dict[str, Any] = {}

    async def signing_keys(self, ctx: Context, pool_id: str) -> tuple[SigningKey, SigningKey]:
        """The pool's current (ID key, access key), created if the pool has none yet."""
        keys = self._pools.get(pool_id)
        # The monotonic clock, not ctx.clock(): this is cache freshness, not protocol time.
        if keys is None or time.monotonic() - keys.loaded_at > self._ttl or len(keys.signing) < 2:
            keys = await self._reload(ctx, pool_id, create=True)
        return keys.signing["id"], keys.signing["access"]

    async def verification_key(self, ctx: Context, pool_id: str, kid: str) -> SigningKey | None:
        """The key `kid` of the pool if it may verify tokens (current or recently retired)."""
        keys = self._pools.get(pool_id)
        now = time.monotonic()
        if keys is not None and now - keys.loaded_at <= self._ttl:
            found = keys.by_kid.get(kid)
            if found is not None or now - keys.loaded_at < self._reload_interval:
                return found
        keys = await self._reload(ctx, pool_id, create=False)
        return keys.by_kid.get(kid)

    async def jwks(self, ctx: Context, pool_id: str) -> dict[str, list[dict[str, str]]]:
        """The pool's RFC 7517 JWK Set: current keys and those retired within
        RETIRED_KEY_LIFETIME, current ones first; creates the keys if the pool has none yet."""
        await self.signing_keys(ctx, pool_id)
        keys = await self._reload(ctx, pool_id, create=False)
        ordered = sorted(keys.by_kid.values(), key=lambda key: (key.retired_at is not None,))
        return {"keys": [key.jwk() for key in ordered]}

    def forget(self, pool_id: str) -> None:
        """Drop the pool's cached keys (after rotating in this process)."""
        self._pools.pop(pool_id, None)

    async def _reload(self, ctx: Context, pool_id: str, *, create: bool) -> _PoolKeys:
        async with self._lock:
            stored = await _read(ctx, pool_id)
            missing = [p for p in PURPOSES if not any(_current(stored, p, k) for k in stored)]
            if create and missing:
                stored = await _create(ctx, pool_id, missing)
            keys = _PoolKeys(signing={}, by_kid={})
            for key in await self._load(ctx, stored):
                keys.by_kid[key.kid] = key
            for purpose in PURPOSES:
                current = [k for k in stored if _current(stored, purpose, k)]
                if current:
                    keys.signing[purpose] = keys.by_kid[current[0].kid]
            if keys.by_kid:
                # Pools without keys are not cached: forged issuers cannot grow the map.
                self._pools[pool_id] = keys
            return keys

    async def _load(
        self, ctx: Context, stored: Sequence[token_store.StoredKey]
    ) -> list[SigningKey]:
        fresh = [key for key in stored if key.kid not in self._loaded]
        if fresh:
            loaded = await anyio.to_thread.run_sync(_decrypt_all, ctx, fresh)
            self._loaded.update((key.kid, key) for key in loaded)
        return [
            dataclasses.replace(self._loaded[key.kid], retired_at=key.retired_at) for key in stored
        ]


def _current(stored: Sequence[token_store.StoredKey], purpose: str, key: object) -> bool:
    """Whether `key` is the current key of `purpose`: the oldest unretired one."""
    live = [k for k in stored if k.purpose == purpose and k.retired_at is None]
    return bool(live) and live[0] is key


def _decrypt_all(ctx: Context, stored: Iterable[token_store.StoredKey]) -> list[SigningKey]:
    loaded = []
    for key in stored:
        pem = ctx.secrets.decrypt(key.private_key, SECRET_PURPOSE)
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):  # pragma: no cover (we store RSA)
            raise TypeError(f"signing key {key.kid} is not an RSA key")
        loaded.append(
            SigningKey(key.kid, key.purpose, private_key, private_key.public_key(), key.retired_at)
        )
    return loaded


async def _read(ctx: Context, pool_id: str) -> list[token_store.StoredKey]:
    async with ctx.store.read() as conn:
        return await token_store.token_keys(
            conn, pool_id, retired_after=ctx.clock() - RETIRED_KEY_LIFETIME
        )


def _new_key(ctx: Context) -> tuple[str, bytes]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return thumbprint_kid(private_key.public_key()), ctx.secrets.encrypt(pem, SECRET_PURPOSE)


async def _create(
    ctx: Context, pool_id: str, purposes: Sequence[str]
) -> list[token_store.StoredKey]:
    """Insert a key per purpose, then keep it only if it became the current one."""
    made = {purpose: await anyio.to_thread.run_sync(_new_key, ctx) for purpose in purposes}
    async with ctx.store.begin() as conn:
        for purpose, (kid, ciphertext) in made.items():
            await insert_key(
                conn,
                kid=kid,
                pool_id=pool_id,
                purpose=purpose,
                private_key=ciphertext,
                certificate=None,
                now=ctx.clock(),
            )
    stored = await _read(ctx, pool_id)
    losers = [
        key.kid
        for key in stored
        if key.kid in {kid for kid, _ in made.values()} and not _current(stored, key.purpose, key)
    ]
    if losers:
        async with ctx.store.begin() as conn:
            for kid in losers:
                await token_store.delete_key(conn, kid)
        stored = [key for key in stored if key.kid not in losers]
    return stored


async def rotate(ctx: Context, pool_id: str) -> list[str]:
    """Retire the pool's current ID and access keys and make new ones; returns the new kids.

    Tokens signed with the retired keys keep verifying until they expire (RETIRED_KEY_LIFETIME).
    """
    made = [(purpose, await anyio.to_thread.run_sync(_new_key, ctx)) for purpose in PURPOSES]
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await token_store.retire_keys(conn, pool_id, now)
        for purpose, (kid, ciphertext) in made:
            await insert_key(
                conn,
                kid=kid,
                pool_id=pool_id,
                purpose=purpose,
                private_key=ciphertext,
                certificate=None,
                now=now,
            )
    key_ring(ctx).forget(pool_id)
    return [kid for _, (kid, _) in made]


_RINGS: weakref.WeakKeyDictionary[Store, KeyRing] = weakref.WeakKeyDictionary()


def key_ring(ctx: Context) -> KeyRing:
    """The key ring of `ctx`'s store: one per app (per Store), so tests building several apps
    get separate caches. It hangs off the Store because Context has no slot for it yet."""
    ring = _RINGS.get(ctx.store)
    if ring is None:
        ring = _RINGS[ctx.store] = KeyRing()
    return ring
