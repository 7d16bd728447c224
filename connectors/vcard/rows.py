"""Row building: the `vcard_cards` row of a card from the (NAME, value) list either path yields."""
from __future__ import annotations

import re

from connectors.normalize import EMAIL_PATTERN, normalize_linkedin_url

NAME_FIELDS = ("family_name", "given_name", "additional_names", "honorific_prefix", "honorific_suffix")
NAME_PARTS = len(NAME_FIELDS)
ADDRESS_PARTS = 7  # post office box, extended, street, locality, region, postal code, country
ADDRESS_LOCALITY = 3  # its index among those parts: the town or city
ADDRESS_POSTAL_CODE = 5  # and of the postal code


def _name_part(values: list[str]) -> str | None:
    """One N component; several values (`John,Q`) read as words, as vobject prints them."""
    if len(values) == 1:
        value = values[0]
        return (value.strip() or None) if value else None
    return " ".join(value.strip() for value in values if value.strip()) or None


def _literal(values: list[str]) -> str:
    """An ORG or ADR component as written: 2.1 writers leave commas bare, and vobject's
    splitting them into values is undone here."""
    return values[0] if len(values) == 1 else ",".join(values)


# `email_key` does what `connectors.normalize.normalize_email` does (a differential test holds
# them equal) with its `EMAIL_PATTERN`, so that the address a card gives costs one call, not
# three. The same pattern for ASCII text, twice as fast: `\s` spelled out as the ASCII
# characters it matches (str.isspace), which lets the engine test each character against a
# bitmap; possessive where the next token cannot be in the run.
_EMAIL_ASCII = re.compile(
    r"[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]++@[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]+\.[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]++$"
)


def email_key(value: str) -> str | None:
    """The address in `Name <address>` or a bare address, as `normalize_email` gives it; None if
    there is none."""
    if "<" in value and ">" in value:
        value = value[value.rfind("<") + 1: value.rfind(">")]
    if not value:
        return None
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if (_EMAIL_ASCII if text.isascii() else EMAIL_PATTERN).match(text) else None


_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")
# Apple and Thunderbird write year 1604 for "birthday known, year not": that year never
# appears in a living contact's birth date.
UNKNOWN_YEAR_PLACEHOLDERS = frozenset({"1604"})


def birthday_iso(value: str | None) -> str | None:
    """`YYYY-MM-DD`, or `--MM-DD` when the year is not known; None for text like `circa 1800`."""
    if not value:
        return None
    value = value.strip()
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = match.groups()
    else:
        match = _NO_YEAR.fullmatch(value)
        if not match:
            return None
        year = None
        month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    if year is None or year in UNKNOWN_YEAR_PLACEHOLDERS:
        return f"--{month}-{day}"
    return f"{year}-{month}-{day}"


def address_line(parts: list[list[str]]) -> str | None:
    """An ADR as one line: its non-empty parts (box, extended, street, locality, region, code,
    country) joined by ", ", line breaks inside a part read as ", " too."""
    pieces = []
    for component in parts[:ADDRESS_PARTS]:
        text = _literal(component)
        if "\n" in text or "\r" in text:
            pieces.extend(piece.strip(" ,\t") for piece in re.split(r"[\r\n]+", text))
        else:
            pieces.append(text.strip(" ,\t"))
    return ", ".join(piece for piece in pieces if piece) or None


def url_value(value: str) -> str | None:
    # Google writes `http\://`; the escaped colon survives text decoding in every parser.
    if "\\:" in value:
        value = value.replace("\\:", ":")
    return value.strip() or None


# What card_row does with each property, looked up once per property instead of a chain of
# membership tests; the branches below are in the order of how often cards hold them.
SINGLE, EMAIL_ADDRESS, PHONE, FIRST_STRUCTURED, ADDRESS, WEB, NOTE, BIRTHDAY, REVISION = range(9)
ROLE_COUNT = 9  # the fused path numbers its own roles from here
ROLES = {
    "FN": SINGLE, "NICKNAME": SINGLE, "TITLE": SINGLE, "UID": SINGLE, "REV": REVISION, "VERSION": SINGLE,
    "EMAIL": EMAIL_ADDRESS, "TEL": PHONE, "N": FIRST_STRUCTURED, "ORG": FIRST_STRUCTURED,
    "ADR": ADDRESS, "URL": WEB, "X-SOCIALPROFILE": WEB, "NOTE": NOTE, "BDAY": BIRTHDAY,
    "KIND": SINGLE, "X-ADDRESSBOOKSERVER-KIND": SINGLE, "X-ABSHOWAS": SINGLE,
}
# Properties a card holds once (RFC 6350 gives N, BDAY, UID and REV at most one, VERSION exactly
# one; 3.0 writers give FN once): a later one with another value is noted and the first kept.
# ALTID alternatives (4.0) are one value in several languages: the paths never report them.
ONCE_ONLY = frozenset({"FN", "N", "BDAY", "UID", "REV", "VERSION", "KIND"})
# A phone number has at least this many digits: the shortest real ones are 3-digit emergency
# and service numbers (112, 911); fewer is a label typed into the field ("Privattelefon", "§").
MIN_PHONE_DIGITS = 3
_ENOUGH_DIGITS = re.compile(r"\d\D*\d\D*\d")
NOT_A_PHONE = f"a TEL value with fewer than {MIN_PHONE_DIGITS} digits is not a phone number; that TEL was dropped"


# A REV is a timestamp (RFC 6350 §6.7.4; 2.1 and 3.0 write the same forms): a date, basic or
# extended, optionally a time, fractions of a second and a zone. Anything else is not a revision:
# DAVx5 met `2018-04-30T07:42:25Z(1)` written by a sync tool, followed by a well-formed REV.
_TIMESTAMP = re.compile(
    r"\d{4}-?\d{2}-?\d{2}(?:T\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
NOT_A_REVISION = "a REV value that is not a date and time was dropped"


def revision_value(value: str) -> str | None:
    """The REV value when it is a timestamp, else None."""
    value = value.strip()
    return value if _TIMESTAMP.fullmatch(value) else None


# What a card stands for (RFC 6350 §6.1.4: individual, group, org, location; absent means an
# individual). vCard 3.0 has no KIND: Apple's CardDAV server (iCloud) writes a contact group as
# `X-ADDRESSBOOKSERVER-KIND:group`, and Apple's Contacts marks a company card `X-ABShowAs:COMPANY`.
APPLE_COMPANY_CARD = "COMPANY"


def card_kind(first: dict) -> str | None:
    """`individual`, `group`, `org`, `location` (or another token as written, lower case) when
    the card says what it stands for; None when it does not."""
    kind = first.get("KIND") or first.get("X-ADDRESSBOOKSERVER-KIND")
    if kind:
        return kind.lower()
    show_as = first.get("X-ABSHOWAS")
    if show_as and show_as.upper() == APPLE_COMPANY_CARD:
        return "org"
    return None


def repeated(name: str) -> str:
    """The note for a second, different value of a property a card holds once."""
    return f"{name} is given more than once with different values; the first is kept"


def phone_value(value: str) -> str | None:
    """The phone number of a TEL value (`tel:` URIs unwrapped); None when it has too few digits."""
    phone = value.strip()
    if phone[:4].lower() == "tel:":
        phone = phone[4:].strip()
    return phone if _ENOUGH_DIGITS.search(phone) else None


def card_row(source_file: str, position: int, line: int, properties: list[tuple[str, object]], parser: str,
             notices: list[str] | None = None) -> dict:
    """The `vcard_cards` row for one card, from the (NAME, value) list either path yields.

    Single-valued fields take the first non-empty occurrence (with ALTID alternatives, the
    first written); lists keep card order without repeats. What is dropped on the way (a
    repeated once-only property, a TEL that is not a number) is told in `notices`.
    """
    if notices is None:
        notices = []
    first: dict[str, object] = {}
    emails: list[str] = []
    phones: list[str] = []
    addresses: list[str] = []
    cities: list[str] = []
    postcodes: list[str] = []
    urls: list[str] = []
    notes: list[str] = []
    roles = ROLES
    for name, value in properties:
        role = roles.get(name)
        if role is None:
            continue
        if role == SINGLE:
            if name not in first:
                value = value.strip()
                if value:
                    first[name] = value
            elif name in ONCE_ONLY and value.strip() and value.strip() != first[name]:
                notices.append(repeated(name))
        elif role == EMAIL_ADDRESS:
            email = email_key(value)
            if email and email not in emails:
                emails.append(email)
        elif role == PHONE:
            phone = phone_value(value)
            if phone is None:
                if value.strip():
                    notices.append(NOT_A_PHONE)
            elif phone not in phones:
                phones.append(phone)
        elif role == FIRST_STRUCTURED:
            if "".join(map("".join, value)).strip():
                if name not in first:
                    first[name] = value
                elif name in ONCE_ONLY and value != first[name]:
                    notices.append(repeated(name))
        elif role == WEB:
            url = url_value(value)
            if url and url not in urls:
                urls.append(url)
        elif role == ADDRESS:
            address = address_line(value)
            if address and address not in addresses:
                addresses.append(address)
            add_place(value, cities, postcodes)
        elif role == NOTE:
            note = value.strip()
            if note:
                notes.append(note)
        elif role == BIRTHDAY:
            birthday = birthday_iso(value)
            if birthday:
                if "BDAY" not in first:
                    first["BDAY"] = birthday
                elif birthday != first["BDAY"]:
                    notices.append(repeated("BDAY"))
        else:
            revision = revision_value(value)
            if revision is None:
                if value.strip():
                    notices.append(NOT_A_REVISION)
            elif "REV" not in first:
                first["REV"] = revision
            elif revision != first["REV"]:
                notices.append(repeated("REV"))
    return build_row(source_file, position, line, first, emails, phones, addresses, cities, postcodes, urls, notes, parser)


def add_place(address: list[list[str]], cities: list[str], postcodes: list[str]) -> None:
    """The town and postcode of an ADR, kept apart for matching people by where they live."""
    for index, places in ((ADDRESS_LOCALITY, cities), (ADDRESS_POSTAL_CODE, postcodes)):
        place = _literal(address[index]).strip() if len(address) > index else ""
        if place and place not in places:
            places.append(place)


def build_row(source_file: str, position: int, line: int, first: dict, emails: list[str], phones: list[str],
         addresses: list[str], cities: list[str], postcodes: list[str], urls: list[str], notes: list[str],
         parser: str) -> dict:
    """The row from what `card_row` or `fast_rows` gathered from a card's properties."""
    structured_name = first.get("N")
    if structured_name:
        # _name_part, with the usual single-valued component written out (five per card)
        parts = [
            (values[0].strip() or None) if len(values) == 1 else _name_part(values)
            for values in structured_name[:NAME_PARTS]
        ]
        if len(parts) < NAME_PARTS:
            parts += [None] * (NAME_PARTS - len(parts))
        family, given, additional, prefix, suffix = parts
    else:
        family = given = additional = prefix = suffix = None
    org = first.get("ORG")
    if org:
        org = ", ".join(text for text in (_literal(values).strip() for values in org) if text) or None
    linkedin_url = None
    for url in urls:
        linkedin_url = normalize_linkedin_url(url)
        if linkedin_url:
            break
    return {
        "source_file": source_file,
        "position": position,
        "line": line,
        "uid": first.get("UID"),
        "full_name": first.get("FN"),
        "given_name": given,
        "family_name": family,
        "additional_names": additional,
        "honorific_prefix": prefix,
        "honorific_suffix": suffix,
        "nickname": first.get("NICKNAME"),
        "emails": emails,
        "phones": phones,
        "org": org,
        "title": first.get("TITLE"),
        "birthday": first.get("BDAY"),
        "addresses": addresses,
        "cities": cities,
        "postcodes": postcodes,
        "note": "\n".join(notes) or None,
        "urls": urls,
        "linkedin_url": linkedin_url,
        "revision": first.get("REV"),
        "version": first.get("VERSION"),
        "kind": card_kind(first),
        "parser": parser,
    }
