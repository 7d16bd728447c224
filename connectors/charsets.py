"""Decoding the 8-bit text of contact and calendar files: UTF-8 first, then the charset the
file declares, else the one charset-normalizer finds in the file's 8-bit text so far; a few stray
bytes in UTF-8 are repaired.

Shared by the vCard reader (values of cards that are not valid UTF-8) and the calendar reader
(content lines that are not), so that UTF-8 files never pay for detection.
"""
from __future__ import annotations

import codecs
import re
import unicodedata

# The charsets phones, Outlook and old address books write contacts in when not UTF-8: the
# Windows code pages of Western, Central European, Cyrillic, Greek, Turkish, Baltic, Hebrew,
# Arabic and Thai text, the two KOI8 Cyrillic ones, and the Japanese, Chinese and Korean ones.
# Detection picks among these only (charset-normalizer alone also offers UTF-16 and rare
# code pages, which a short name decodes under as plausibly as under the right one).
LEGACY_CHARSETS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp874",
    "koi8_r", "koi8_u", "cp932", "euc_jp", "gb18030", "big5", "cp949",
)
# What to fall back on when detection finds nothing: what old Windows exporters wrote most.
WESTERN = "cp1252"
# A file's 8-bit text is detected on all its cards' 8-bit values so far, until this much is
# gathered; then the charset found is kept for the rest of the file (one card's name is too
# short to tell Greek from Cyrillic, and detection costs up to 30 ms a call).
SETTLED_SAMPLE_BYTES = 4096
# Codec names (as codecs.lookup gives them) of ASCII and the Unicode encodings: declaring one
# on a property says nothing about how the card's other 8-bit text is written.
_UNICODE_PREFIXES = ("utf", "ascii")
# A byte above 0x7F: only values holding one need decoding decisions.
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def known_charset(name: str | None) -> str | None:
    """The Python codec name of a CHARSET parameter value; None when it is not one."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip('"')).name
    except (LookupError, ValueError):
        return None


def is_legacy(charset: str | None) -> bool:
    """A charset that tells how to read 8-bit text: not ASCII nor a Unicode encoding."""
    return charset is not None and not charset.startswith(_UNICODE_PREFIXES)


def has_high_bytes(value: bytes) -> bool:
    return _HIGH_BYTE.search(value) is not None


def mostly_utf8(value: bytes, card_is_utf8: bool) -> tuple[str, int] | None:
    """(text, bytes replaced by U+FFFD) when `value` is UTF-8 with a few bad bytes; None when it
    is rather text in a legacy charset, where a well-formed multi-byte sequence is chance (GB18030
    and Shift_JIS pairs often are one). `card_is_utf8` says other values of the card are UTF-8
    with characters beyond ASCII: then a bad byte is a stray one if the value holds as many bytes
    of well-formed sequences; without that evidence, twice as many."""
    text = value.decode("utf-8", errors="surrogateescape")
    bad = sum(1 for char in text if "\udc80" <= char <= "\udcff")
    good = sum(len(char.encode("utf-8")) for char in text if char > "\x7f" and not "\udc80" <= char <= "\udcff")
    if good == 0 or bad * (1 if card_is_utf8 else 2) > good:
        return None
    return re.sub("[\udc80-\udcff]", "\ufffd", text), bad


_WORD = re.compile(r"[^\W\d_]{2,}")


def _implausibility(text: str) -> int:
    """How unlike real contact text a decoding is: symbols, digits and controls outside ASCII
    ("£ukasz" is Łukasz read as Western); letters of another script right next to an ASCII
    letter ("Mьller", "Josι" are Müller and José read as Cyrillic and Greek); and Latin words
    mostly of accented letters ("Èâàí" is Иван read as Western), which no Latin-script
    language writes."""
    score = 0
    previous_ascii_letter = False
    for char in text:
        if char <= "\x7f":
            previous_ascii_letter = char.isalpha()
            continue
        category = unicodedata.category(char)
        if category[0] in "SNC":
            score += 1
        elif category[0] == "L" and previous_ascii_letter and not _latin(char):
            score += 1
        previous_ascii_letter = False
    for word in _WORD.findall(text):
        accented = sum(1 for char in word if char > "\x7f")
        if accented * 2 > len(word) and all(char <= "\x7f" or _latin(char) for char in word):
            score += 1
    return score


def _latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def detect(sample: bytes) -> str:
    """The legacy charset `sample` is most plausibly written in (WESTERN when nothing fits)."""
    from charset_normalizer import from_bytes  # loaded only when a file holds non-UTF-8 text

    candidates = [match.encoding for match in from_bytes(sample, cp_isolation=list(LEGACY_CHARSETS))]
    if WESTERN not in candidates:
        candidates.append(WESTERN)
    scored = []
    for order, charset in enumerate(candidates):
        try:
            text = sample.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        # Ties go to Western text (what most such files are), then to charset-normalizer's order.
        scored.append((_implausibility(text), charset != WESTERN, order, charset))
    return min(scored)[3] if scored else WESTERN


class FileCharsets:
    """What the cards (or calendar lines) of one file read so far say about its 8-bit charset."""

    def __init__(self) -> None:
        self.declared: str | None = None  # the last legacy CHARSET the file declared (a vCard property)
        self.settled: str | None = None  # the charset detected once the sample was large enough
        self._sample = bytearray()  # undeclared 8-bit text of the file so far, for detection
        self._detected: str | None = None  # the last detection, and the sample size it saw
        self._detected_size = 0

    def declare(self, charset: str) -> None:
        self.declared = charset

    def for_sample(self, sample: bytes) -> str:
        """The charset for `sample`, undeclared 8-bit text of the file (a card's values joined by
        LF, a calendar line).

        Detection runs again only when the file's sample has doubled since the last one (or the
        new bytes do not fit what it found), so a file pays for a handful of detections, not one
        per card or line, before its charset settles."""
        if self.declared:
            return self.declared
        if self.settled:
            return self.settled
        self._sample += sample + b"\n"
        size = len(self._sample)
        if self._detected is None or size >= 2 * self._detected_size or not decodes(sample, self._detected):
            self._detected = detect(bytes(self._sample))
            self._detected_size = size
        if size >= SETTLED_SAMPLE_BYTES:
            self.settled = self._detected
            self._sample = bytearray()
        return self._detected


def decodes(data: bytes, charset: str) -> bool:
    """`data` is valid text in `charset`."""
    try:
        data.decode(charset)
        return True
    except UnicodeDecodeError:
        return False


def decode_value(value: bytes, declared: str | None, card_charset, notices: list[str], line: int,
                 card_is_utf8: bool = False) -> str:
    """A value's text. In a charset the property declares if any (bytes it does not fit
    replaced, and noted); else UTF-8; else UTF-8 with its few bad bytes replaced (noted, see
    `mostly_utf8` for `card_is_utf8`); else `card_charset()`, the legacy charset of the card.
    Never raises."""
    if declared:
        return _decode_replacing(value, declared, "the CHARSET the property declares", notices, line)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        pass
    repaired = mostly_utf8(value, card_is_utf8)
    if repaired is not None:
        text, bad = repaired
        notices.append(f"line {line}: {bad} byte(s) that are not UTF-8 were replaced by U+FFFD")
        return text
    charset = card_charset()
    return _decode_replacing(value, charset, f"the {charset} charset", notices, line)


def _decode_replacing(value: bytes, charset: str, charset_said: str, notices: list[str], line: int) -> str:
    """`value` in `charset`, bytes that do not fit it replaced by U+FFFD and noted (naming the
    charset as `charset_said`)."""
    try:
        return value.decode(charset)
    except UnicodeDecodeError:
        text = value.decode(charset, errors="replace")
        notices.append(f"line {line}: {text.count(chr(0xFFFD))} byte(s) do not fit {charset_said} "
                       "and were replaced by U+FFFD")
        return text
