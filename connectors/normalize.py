"""Normal forms shared by every source: emails, LinkedIn profile URLs and timestamps."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import unquote

EMAIL_PATTERN = re.compile(r"^[^@\s<>(),;:]+@[^@\s<>(),;:]+\.[^@\s<>(),;:]+$")
# Public profile URLs in every shape LinkedIn and its exports write them: with or without
# scheme, any country subdomain, trailing slash, query string or fragment.
_LINKEDIN_PROFILE = re.compile(
    r"^(?:https?://)?(?:[a-z]{2,3}\.|www\.)?linkedin\.com/in/([^/?#\s]+)/?(?:[?#].*)?$",
    re.IGNORECASE,
)


# Characters that end a LinkedIn slug's path segment once percent-decoded: `%2F` would turn
# one profile URL into another's path.
_URL_STRUCTURE = frozenset("/?#")


def is_identifier_text(text: str) -> bool:
    """True when `text` has no control character, line or paragraph separator, invisible
    format character or whitespace: an address or slug holding one (often percent-decoded,
    `%0d%0a`) is not an identifier, and written out it could start a line of its own."""
    return text.isprintable() and " " not in text


def normalize_email(value: str | None) -> str | None:
    """Lower-case address without `mailto:` or angle brackets; None when it is not an address.

    No provider-specific rewriting (dots or +tags in Gmail): the same mailbox can be written
    two ways, but rewriting would merge different people on other providers.
    """
    if not value:
        return None
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    text = text.strip().lower()
    return text if EMAIL_PATTERN.match(text) and is_identifier_text(text) else None


def normalize_linkedin_url(value: str | None) -> str | None:
    """The contract's form `https://www.linkedin.com/in/<slug>`, lower case; None otherwise."""
    if not value:
        return None
    match = _LINKEDIN_PROFILE.match(value.strip())
    if not match:
        return None
    slug = unquote(match.group(1)).strip().lower()
    if not slug or not is_identifier_text(slug) or not _URL_STRUCTURE.isdisjoint(slug):
        return None
    return f"https://www.linkedin.com/in/{slug}"


def fold_text(value: str | None) -> str:
    """Lower case without accents or repeated spaces: for comparing names, never for display."""
    if not value:
        return ""
    if value.isascii():  # nothing to decompose: most names, at a quarter of the cost
        return " ".join(value.lower().split())
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def to_utc(moment: datetime) -> datetime:
    """Aware datetimes converted to UTC; naive ones are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
