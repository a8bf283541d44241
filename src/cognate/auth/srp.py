"""Cognito's SRP-6a variant: verifiers, the server's side of PASSWORD_VERIFIER, timestamps.

Sources: RFC 5054 (SRP-6a for TLS: k = H(N | PAD(g)), u = H(PAD(A) | PAD(B)), the server
computations and the A % N and u checks), RFC 3526 §4 (the 3072-bit MODP group, g = 2),
RFC 5869 (HKDF), and Cognito's observed behaviour as written down in
reference/cognito-surface.md §9, where Cognito departs from the textbook:

* numbers are hashed as *hex strings* padded by `pad_hex` (two's-complement style), not as
  fixed-width byte strings;
* x = H(pad_hex(salt) | H(poolName | username | ":" | password)), where the inner digest is
  concatenated as 64 hex digits;
* the session key is HKDF-SHA256(ikm = pad_hex(S), salt = pad_hex(u),
  info = "Caldera Derived Key"), truncated to 16 bytes;
* the client proves the key with an HMAC over poolName, USER_ID_FOR_SRP, the SECRET_BLOCK and a
  TIMESTAMP such as "Tue Mar 3 09:05:07 UTC 2026".

Everything here is pure and sync. The modular exponentiations use gmpy2 when it is importable
(DESIGN "Fast paths") and Python's `pow` otherwise; both give identical results.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Final

from cognate.errors import NotAuthorizedException

try:
    import gmpy2
except ImportError:  # tested by loading a copy of this module with gmpy2 blocked
    gmpy2 = None

HAS_GMPY2: Final = gmpy2 is not None
"""Whether modular exponentiation runs on GMP (several times faster at 3072 bits)."""

N: Final = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
"""The RFC 3526 §4 3072-bit prime, 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 pi) + 1690314)."""

G: Final = 2
"""The generator of the RFC 3526 3072-bit group."""

N_BYTES: Final = (N.bit_length() + 7) // 8
"""Length of N in bytes (384): the fixed width for encoding group elements."""

SALT_BYTES: Final = 16
"""Length of a new verifier's random salt, as Cognito's reference clients choose for devices."""

_SECRET_EXPONENT_BITS = 256
_HKDF_INFO = b"Caldera Derived Key"
_HKDF_KEY_BYTES = 16
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Explicit ASCII classes: int() and \d also accept non-ASCII digits, signs, "0x" and "_".
_TIMESTAMP = re.compile(
    f"(?:{'|'.join(_WEEKDAYS)}) ({'|'.join(_MONTHS)}) "
    "([0-9]{1,2}) ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}) UTC ([0-9]{4})"
)
_HEX = re.compile("[0-9a-fA-F]+")


def powmod(base: int, exponent: int, modulus: int) -> int:
    """`base ** exponent % modulus` for a non-negative exponent, on GMP when available."""
    if gmpy2 is not None:
        return int(gmpy2.powmod(base, exponent, modulus))
    return pow(base, exponent, modulus)


_WINDOW_BITS: Final = 8
_WINDOWS: Final = 32
"""g_pow's table covers exponents of up to 8 * 32 = 256 bits: every x (a SHA-256) and b."""


@functools.cache
def _g_powers() -> tuple[tuple[Any, ...], ...]:
    """table[j][d] = g^(d * 2^(8j)) mod N: about 3 MB, built once (~30 ms) on first use."""
    modulus: Any = gmpy2.mpz(N) if gmpy2 is not None else N
    table = []
    base: Any = gmpy2.mpz(G) if gmpy2 is not None else G
    for _ in range(_WINDOWS):
        row = [base**0]
        for _ in range((1 << _WINDOW_BITS) - 1):
            row.append(row[-1] * base % modulus)
        table.append(tuple(row))
        base = row[-1] * base % modulus  # g^(2^(8(j+1)))
    return tuple(table)


def g_pow(exponent: int) -> int:
    """g^exponent mod N, for the exponents sign-in raises g to (x, b: at most 256 bits).

    g and N never change, so their powers are tabulated once (fixed-base windowing, Handbook
    of Applied Cryptography 14.109): 32 multiplications instead of a 256-step
    square-and-multiply, ~5x less work on the one modexp of every password check.
    """
    if exponent < 0 or exponent.bit_length() > _WINDOW_BITS * _WINDOWS:
        return powmod(G, exponent, N)
    table = _g_powers()
    mask = (1 << _WINDOW_BITS) - 1
    result: Any = table[0][exponent & mask]
    exponent >>= _WINDOW_BITS
    for row in table[1:]:
        if not exponent:
            break
        result = result * row[exponent & mask] % N
        exponent >>= _WINDOW_BITS
    return int(result)


def pad_hex(value: int) -> str:
    """Cognito's hex rendering of a non-negative integer, as hashed by both sides.

    Lowercase hex with an even number of digits, prefixed with "00" when the first digit is
    8-f so the string reads as a positive two's-complement number (cognito-surface.md §9,
    `padHex`). Raises ValueError for negative values, which the protocol never hashes.
    """
    if value < 0:
        raise ValueError("pad_hex is defined for non-negative integers only")
    digits = format(value, "x")
    if len(digits) % 2:
        digits = "0" + digits
    if digits[0] in "89abcdef":
        digits = "00" + digits
    return digits


def hex_hash(hex_string: str) -> str:
    """SHA-256 of the bytes a hex string spells, as 64 lowercase hex digits (`HH` in §9)."""
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest()


K: Final = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)
"""The SRP-6a multiplier k = H(N | g) (RFC 5054 §2.5.3), with Cognito's hex padding."""


def pool_name_of(pool_id: str) -> str:
    """The part of a user pool id after "_" ("AbCdEfGhI" for "us-east-1_AbCdEfGhI").

    Cognito uses it in x and in the signed message. Raises ValueError if there is no "_".
    """
    _region, separator, name = pool_id.partition("_")
    if not separator:
        raise ValueError("a user pool id has the form <region>_<name>")
    return name


def compute_x(pool_name: str, username: str, password: str, salt: bytes) -> int:
    """The private value x = H(pad_hex(salt) | H(poolName | username | ":" | password)).

    The salt enters as an integer re-padded with `pad_hex`, exactly as pycognito and
    amazon-cognito-identity-js read the SALT challenge parameter, so leading zero bytes of
    `salt` do not count. `username` is the user's internal username (USER_ID_FOR_SRP).
    Strings are UTF-8; lone surrogates (which no client can send as UTF-8) are kept with
    "surrogatepass" so that setting and checking such a password is at least deterministic.
    """
    identity = f"{pool_name}{username}:{password}".encode("utf-8", "surrogatepass")
    inner = hashlib.sha256(identity).hexdigest()
    return int(hex_hash(pad_hex(int.from_bytes(salt, "big")) + inner), 16)


def compute_verifier(pool_name: str, username: str, password: str, salt: bytes) -> int:
    """The SRP verifier v = g^x mod N for a given salt (RFC 5054 §2.4)."""
    return g_pow(compute_x(pool_name, username, password, salt))


def make_verifier(pool_name: str, username: str, password: str) -> tuple[bytes, int]:
    """A fresh random 16-byte salt and its verifier: the password credential to store."""
    salt = secrets.token_bytes(SALT_BYTES)
    return salt, compute_verifier(pool_name, username, password, salt)


def parse_hex(text: str) -> int | None:
    """The integer a wire hex string (SRP_A, SALT, SRP_B) spells, or None if it is not hex.

    Stricter than `int(text, 16)`, which also takes signs, "0x", "_" and whitespace: a
    negative or oddly spelled A must not reach the SRP arithmetic.
    """
    if _HEX.fullmatch(text) is None:
        return None
    return int(text, 16)


def check_a(big_a: int) -> bool:
    """Whether the client's public value A is acceptable (RFC 5054 §2.5.4: A % N != 0).

    An A that is a multiple of N would force the shared secret to 0 and let anyone sign in
    without the password; the caller rejects it with NotAuthorizedException.
    """
    return big_a > 0 and big_a % N != 0


def start(verifier: int) -> tuple[int, int]:
    """The server's ephemeral pair (b, B) with B = (k*v + g^b) mod N (RFC 5054 §2.5.3).

    b is 256 random bits with the top bit set (128-bit security in this group, and a short
    exponent keeps sign-in fast). B is never 0 mod N: that value is retried, as §9 requires.
    """
    while True:
        small_b = secrets.randbits(_SECRET_EXPONENT_BITS) | (1 << (_SECRET_EXPONENT_BITS - 1))
        big_b = (K * verifier + g_pow(small_b)) % N
        if big_b != 0:
            return small_b, big_b


def session_key(big_a: int, big_b: int, small_b: int, verifier: int) -> bytes:
    """The 16-byte key K both sides derive, or NotAuthorizedException if A or u is unusable.

    u = H(pad_hex(A) | pad_hex(B)), S = (A * v^u)^b mod N (RFC 5054 §2.6), then one HKDF
    block (RFC 5869 §2.2 extract, §2.3 expand with T(1) only since L = 16 <= 32):
    PRK = HMAC(salt = pad_hex(u), ikm = pad_hex(S)), K = HMAC(PRK, info | 0x01)[:16].
    A % N == 0 is rejected here too, so no caller can skip that check by mistake.
    """
    if not check_a(big_a):
        raise NotAuthorizedException("Incorrect username or password.")
    u = int(hex_hash(pad_hex(big_a) + pad_hex(big_b)), 16)
    if u == 0:
        raise NotAuthorizedException("Incorrect username or password.")
    shared = powmod(big_a * powmod(verifier, u, N) % N, small_b, N)
    prk = hmac.digest(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), "sha256")
    return hmac.digest(prk, _HKDF_INFO + b"\x01", "sha256")[:_HKDF_KEY_BYTES]


def expected_signature(
    key: bytes, pool_name: str, user_id_for_srp: str, secret_block: bytes, timestamp: str
) -> str:
    """The PASSWORD_CLAIM_SIGNATURE a client holding the password sends (§9).

    Base64 of HMAC-SHA256(K, poolName | USER_ID_FOR_SRP | SECRET_BLOCK bytes | TIMESTAMP),
    strings in UTF-8. `secret_block` is the base64-*decoded* PASSWORD_CLAIM_SECRET_BLOCK.
    """
    message = pool_name.encode() + user_id_for_srp.encode() + secret_block + timestamp.encode()
    return base64.b64encode(hmac.digest(key, message, "sha256")).decode("ascii")


def signatures_match(expected: str, received: str) -> bool:
    """Constant-time comparison of two signatures; any string from the wire is accepted.

    Compares UTF-8 bytes because `hmac.compare_digest` raises TypeError on non-ASCII str.
    """
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), received.encode("utf-8", "surrogatepass")
    )


def format_timestamp(moment: datetime) -> str:
    """Cognito's TIMESTAMP: "EEE MMM d HH:mm:ss UTC yyyy" in UTC, English, day not padded.

    Example: "Tue Mar 3 09:05:07 UTC 2026". Names come from fixed tables, never the locale.
    Raises ValueError for a naive datetime (its zone would be a guess).
    """
    if moment.tzinfo is None:
        raise ValueError("format_timestamp needs a timezone-aware datetime")
    utc = moment.astimezone(UTC)
    return (
        f"{_WEEKDAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} UTC {utc.year:04d}"
    )


def parse_timestamp(text: str) -> datetime | None:
    """The aware UTC datetime a client's TIMESTAMP names, or None if it is not one.

    Accepts the day and time fields with or without zero padding (pycognito strips the
    day's zero, other clients may not). The weekday must be an English name but is not
    checked against the date: it is covered by the signature and carries no freshness.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    month, day, hour, minute, second, year = match.groups()
    try:
        return datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
    except ValueError:
        return None
