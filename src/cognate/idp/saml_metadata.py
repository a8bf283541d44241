"""A SAML provider's metadata as the server gets it: MetadataFile as given, or the document
MetadataURL serves, fetched when the provider is created or updated and kept six hours.

Developer guide, "Adding SAML identity providers to a user pool": Cognito reads MetadataURL at
configuration time and refreshes it about every six hours (wave2-surface.md §1.9); SPEC.md:
https except on loopback. Create/Update and sign-in share this one cache per store.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from typing import Final

import httpx

from cognate.context import Context
from cognate.domain.identity_provider import is_allowed_url
from cognate.domain.saml_metadata import IdpMetadata, parse_metadata
from cognate.errors import InvalidParameterException
from cognate.fetch import fetch
from cognate.store.store import Store

_METADATA_SECONDS: Final = 6 * 3600.0
_MAX_METADATA_BYTES: Final = 1_000_000
_TIMEOUT = httpx.Timeout(5.0)

_CACHES: weakref.WeakKeyDictionary[Store, dict[str, tuple[float, str]]] = (
    weakref.WeakKeyDictionary()
)


async def _fetched(ctx: Context, url: str, *, fresh: bool) -> str:
    if not is_allowed_url(url):
        raise InvalidParameterException("MetadataURL must be an https URL.")
    cache = _CACHES.get(ctx.store)
    if cache is None:
        cache = _CACHES[ctx.store] = {}
    hit = cache.get(url)
    if not fresh and hit is not None and time.monotonic() - hit[0] < _METADATA_SECONDS:
        return hit[1]
    failed = InvalidParameterException(f"Unable to fetch the SAML metadata from {url}.")
    try:
        response = await fetch("GET", url, deadlines=_TIMEOUT, limit=_MAX_METADATA_BYTES)
    except httpx.HTTPError as exc:
        raise failed from exc
    if response.status_code != 200:
        raise failed
    cache[url] = (time.monotonic(), response.text)
    return response.text


async def provider_metadata(
    ctx: Context, details: Mapping[str, str], *, fresh: bool = False
) -> IdpMetadata:
    """The metadata of a SAML provider with `details`: MetadataFile, else MetadataURL's
    document (`fresh`: fetched now, as Create/Update do). InvalidParameterException when it
    cannot be fetched or is not usable."""
    xml = details.get("MetadataFile") or ""
    if not xml:
        xml = await _fetched(ctx, details.get("MetadataURL", ""), fresh=fresh)
    return parse_metadata(xml)
