"""The offline list of compromised passwords threat protection checks (wave2-surface.md §4.7).

AWS's own list is unpublished. Cognate uses zxcvbn's ranked list of the 30,000 most common
passwords from breach corpora (PyPI `zxcvbn` 4.5, MIT, `frequency_lists.FREQUENCY_LISTS
["passwords"]`), loaded once, on first use, so that pools without threat protection never pay
for it.
"""

from __future__ import annotations

import functools
import unicodedata


@functools.cache
def _passwords() -> frozenset[str]:
    # 800 KB of source: imported on first use only.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_compromised(password: str) -> bool:
    """True if `password`, NFKC-normalised, or its lower-case form is on the list (§4.7's
    match rule: the list is lower-case, and "Password123" is as guessable as "password123")."""
    normal = unicodedata.normalize("NFKC", password)
    passwords = _passwords()
    return normal in passwords or normal.lower() in passwords
