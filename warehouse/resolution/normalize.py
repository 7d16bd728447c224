"""Normal forms for matching people: folded names with nicknames, E.164 phones, companies, birthdays."""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache

from nicknames import NickNamer

from connectors.normalize import fold_text

# Honorifics dropped from given/family parts that a source already split. Short on purpose:
# nameparser's own title list holds occupations ("printer", "judge") that are also names,
# so it is only trusted on whole display names, where it sees the full context.
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "mlle", "m"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "cpa", "dds", "jnr", "snr"}

# Legal forms that say nothing about which company it is ("Acme Inc." is "Acme").
_LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "plc", "corp", "corporation", "co",
    "company", "gmbh", "ag", "kg", "se", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab",
    "as", "asa", "aps", "kk", "pty", "pte", "pvt", "sdn", "bhd", "group", "holdings", "the",
}

_NON_WORD = re.compile(r"[^\w\s]+")
_DIGITS = re.compile(r"\D+")
_BIRTHDAY = re.compile(r"^(?:(\d{4})|-)-?(\d{2})-?(\d{2})$")

_nicknamer = NickNamer()


def has_unspaced_script(text: str) -> bool:
    """True for scripts written without spaces between given and family name (CJK, Thai...)."""
    if text.isascii():
        return False
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER")):
                return True
    return False


@lru_cache(maxsize=500_000)
def fold_name(value: str | None) -> str:
    """Comparison form of a name part: folded, punctuation dropped, hyphens as spaces."""
    if not value:
        return ""
    text = value.replace("-", " ").replace("'", "").replace("’", "")
    return " ".join(_NON_WORD.sub(" ", fold_text(text)).split())


def _strip_affixes(tokens: list[str]) -> list[str]:
    while tokens and fold_name(tokens[0]) in _HONORIFICS and len(tokens) > 1:
        tokens = tokens[1:]
    while tokens and fold_name(tokens[-1]) in _SUFFIXES and len(tokens) > 1:
        tokens = tokens[:-1]
    return tokens


def split_name(full_name: str | None, given_name: str | None, family_name: str | None) -> tuple[str, str]:
    """Display (given, family), accents kept; from the parts when a source split them, else parsed.

    Names in scripts written without spaces are kept whole as the family part in their own
    order, so "山田太郎" from a calendar and 山田 + 太郎 from a vCard compare equal.
    """
    given = " ".join(_strip_affixes((given_name or "").split()))
    family = " ".join(_strip_affixes((family_name or "").split()))
    full = (full_name or "").strip()
    if not given and not family and full:
        if "@" in full:
            return "", ""
        if has_unspaced_script(full):
            return "", full.replace(" ", "").replace("\u3000", "")
        from nameparser import HumanName  # loaded on the first whole name to split (30 ms)

        parsed = HumanName(full)
        given, family = parsed.first, parsed.last
        if parsed.middle and not family:
            family = parsed.middle
        if not given and not family:
            family = full
    if has_unspaced_script(given + family):
        return "", (family + given).replace(" ", "").replace("\u3000", "")
    return given.strip(), family.strip()


@lru_cache(maxsize=None)
def nickname_forms(given_first: str) -> frozenset[str]:
    """The folded given name with the formal names and nicknames it stands for ("bob" → robert)."""
    if not given_first:
        return frozenset()
    forms = {given_first}
    if len(given_first) > 1:
        forms |= {fold_name(name) for name in _nicknamer.canonicals_of(given_first)}
    return frozenset(forms)


def nickname_related(left: str, right: str) -> bool:
    if not left or not right:
        return False
    return bool(nickname_forms(left) & nickname_forms(right))


def normalize_phone(value: str, default_region: str | None) -> str | None:
    """E.164 where phonenumbers can parse it; otherwise the digits as written (6 or more)."""
    if not value:
        return None
    import phonenumbers  # loaded on the first phone number (15 ms)

    try:
        parsed = phonenumbers.parse(value, default_region)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = _DIGITS.sub("", value)
    return digits if len(digits) >= 6 else None


@lru_cache(maxsize=200_000)
def normalize_company(value: str | None) -> str:
    """Folded company name without legal forms: "ACME, Inc." and "Acme" are the same company."""
    tokens = fold_name(value).split()
    while tokens and tokens[-1] in _LEGAL_SUFFIXES and len(tokens) > 1:
        tokens.pop()
    while tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens.pop(0)
    return " ".join(tokens)


# A domain label this short ("ab" in ab.example.com) names too many companies to tell which.
MIN_EMPLOYER_LABEL = 4


def employers_from_addresses(companies: list[str], emails: list[list[str]]) -> list[str]:
    """Each record's normalised company; one without takes the company its address's domain
    names, when the address book knows a company by that name.

    A calendar invitee is often only a name and a work address: priya.shah@kestrelrobotics.com
    is the Priya Shah whom a card or a LinkedIn connection places at Kestrel Robotics. Only a
    company some record names counts, and only when one alone starts with the domain label,
    so a mail provider's domain (post.example.org) never becomes anybody's employer.
    """
    by_compact = {name.replace(" ", ""): name for name in companies if name}
    compact_names = sorted(by_compact)

    @lru_cache(maxsize=None)
    def named_by(domain: str) -> str:
        for label in domain.split(".")[:-1]:  # the last label is the top-level domain
            if len(label) < MIN_EMPLOYER_LABEL:
                continue
            first = bisect_left(compact_names, label)
            starting = compact_names[first:first + 2]
            if starting and starting[0].startswith(label) and not (
                    len(starting) > 1 and starting[1].startswith(label)):
                return by_compact[starting[0]]
        return ""

    result = []
    for company, addresses in zip(companies, emails):
        if not company:
            company = next((name for name in (named_by(address.rpartition("@")[2]) for address in addresses)
                            if name), "")
        result.append(company)
    return result


def normalize_birthday(value: str | None) -> str:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown); "" when it is not a date."""
    if not value:
        return ""
    match = _BIRTHDAY.match(str(value).strip())
    if not match:
        return ""
    year, month, day = match.groups()
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        return ""
    return f"{year}-{month}-{day}" if year else f"--{month}-{day}"


# Addresses that stand for a role, a system or a list rather than a person: a calendar's
# organiser placeholder, a no-reply sender, a shared inbox. Two of them sharing a name
# ("Organizer") are not one person, and one shared by two cards does not make them one.
ROLE_LOCAL_PARTS = frozenset({
    "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "organizer", "organiser", "calendar",
    "calendar-notification", "notifications", "notification", "info", "admin", "support", "hello", "contact",
    "office", "team", "events", "meetings", "mailer-daemon", "postmaster", "webmaster", "sales", "help",
    "billing", "news", "newsletter", "invitations", "bookings", "reservations",
})
# Mailing lists and calendars that are not a person's: Google groups, resource and group
# calendars, list servers.
ROLE_DOMAIN_SUFFIXES = ("googlegroups.com", "resource.calendar.google.com", "group.calendar.google.com",
                        "import.calendar.google.com")
ROLE_DOMAIN_PREFIXES = ("lists.", "list.", "groups.")
# The same roles written as a display name ("Organizer", "No Reply").
ROLE_NAMES = frozenset(part.replace("-", " ").replace("_", " ") for part in ROLE_LOCAL_PARTS)


def is_role_address(email: str) -> bool:
    local, _, domain = email.strip().lower().rpartition("@")
    return (local in ROLE_LOCAL_PARTS or local.endswith(("-list", "-noreply", "+noreply"))
            or domain.endswith(ROLE_DOMAIN_SUFFIXES) or domain.startswith(ROLE_DOMAIN_PREFIXES))


def is_role_name(name: str) -> bool:
    return fold_name(name) in ROLE_NAMES


def email_local_key(email: str) -> str:
    """Letters of the local part: `bob.smith42@x` → `bobsmith`, to compare with a name."""
    local = email.split("@", 1)[0]
    return "".join(ch for ch in fold_text(local) if ch.isalpha())


def email_local_with_digits(email: str) -> str:
    """Letters and digits of the local part: `bob.smith42@x` → `bobsmith42`, to compare two addresses."""
    local = email.split("@", 1)[0]
    return "".join(ch for ch in fold_text(local) if ch.isalnum())
