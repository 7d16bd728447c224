"""Time zones written as Windows display names, as Exchange, OWA and Outlook for the web do.

`TZID=(UTC-05:00) Eastern Time (US & Canada)` is the label Windows shows for its zone
"Eastern Standard Time" (older versions wrote "(GMT-05:00) ..."). icalendar knows the
Windows zone ids (its WINDOWS_TO_OLSON, from CLDR's windowsZones) but not these labels, and
without a VTIMEZONE of that name in the file the time used to be read as UTC.

`zone_for_display_name` maps the label to the Windows id and so to its IANA zone; a label
not in the table falls back to the offset written in it, without daylight saving time.
The labels are the registry's display names as listed by PostgreSQL's findtimezone.c and
CLDR; a label is matched without its offset and ignoring case and spacing.
"""
from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo

try:  # icalendar 6.1 and later map Windows zone names to IANA ones
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
except ImportError:  # pragma: no cover - older icalendar
    WINDOWS_TO_OLSON = {}

# Display name (without its "(UTC+hh:mm) " prefix) -> Windows zone id.
DISPLAY_NAMES = {
    "Kabul": "Afghanistan Standard Time",
    "Alaska": "Alaskan Standard Time",
    "Aleutian Islands": "Aleutian Standard Time",
    "Barnaul, Gorno-Altaysk": "Altai Standard Time",
    "Kuwait, Riyadh": "Arab Standard Time",
    "Abu Dhabi, Muscat": "Arabian Standard Time",
    "Baghdad": "Arabic Standard Time",
    "City of Buenos Aires": "Argentina Standard Time",
    "Buenos Aires": "Argentina Standard Time",
    "Astrakhan, Ulyanovsk": "Astrakhan Standard Time",
    "Atlantic Time (Canada)": "Atlantic Standard Time",
    "Darwin": "AUS Central Standard Time",
    "Eucla": "Aus Central W. Standard Time",
    "Canberra, Melbourne, Sydney": "AUS Eastern Standard Time",
    "Baku": "Azerbaijan Standard Time",
    "Azores": "Azores Standard Time",
    "Salvador": "Bahia Standard Time",
    "Dhaka": "Bangladesh Standard Time",
    "Minsk": "Belarus Standard Time",
    "Bougainville Island": "Bougainville Standard Time",
    "Cabo Verde Is.": "Cape Verde Standard Time",
    "Cape Verde Is.": "Cape Verde Standard Time",
    "Saskatchewan": "Canada Central Standard Time",
    "Yerevan": "Caucasus Standard Time",
    "Adelaide": "Cen. Australia Standard Time",
    "Central America": "Central America Standard Time",
    "Astana": "Central Asia Standard Time",
    "Cuiaba": "Central Brazilian Standard Time",
    "Belgrade, Bratislava, Budapest, Ljubljana, Prague": "Central Europe Standard Time",
    "Sarajevo, Skopje, Warsaw, Zagreb": "Central European Standard Time",
    "Solomon Is., New Caledonia": "Central Pacific Standard Time",
    "Central Time (US & Canada)": "Central Standard Time",
    "Guadalajara, Mexico City, Monterrey": "Central Standard Time (Mexico)",
    "Chatham Islands": "Chatham Islands Standard Time",
    "Beijing, Chongqing, Hong Kong, Urumqi": "China Standard Time",
    "Coordinated Universal Time": "UTC",
    "Havana": "Cuba Standard Time",
    "International Date Line West": "Dateline Standard Time",
    "Nairobi": "E. Africa Standard Time",
    "Brisbane": "E. Australia Standard Time",
    "Chisinau": "E. Europe Standard Time",
    "Brasilia": "E. South America Standard Time",
    "Easter Island": "Easter Island Standard Time",
    "Eastern Time (US & Canada)": "Eastern Standard Time",
    "Chetumal": "Eastern Standard Time (Mexico)",
    "Cairo": "Egypt Standard Time",
    "Ekaterinburg": "Ekaterinburg Standard Time",
    "Fiji": "Fiji Standard Time",
    "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius": "FLE Standard Time",
    "Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius": "FLE Standard Time",
    "Tbilisi": "Georgian Standard Time",
    "Dublin, Edinburgh, Lisbon, London": "GMT Standard Time",
    "Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London": "GMT Standard Time",
    "Greenland": "Greenland Standard Time",
    "Monrovia, Reykjavik": "Greenwich Standard Time",
    "Athens, Bucharest": "GTB Standard Time",
    "Athens, Bucharest, Istanbul": "GTB Standard Time",
    "Haiti": "Haiti Standard Time",
    "Hawaii": "Hawaiian Standard Time",
    "Chennai, Kolkata, Mumbai, New Delhi": "India Standard Time",
    "Tehran": "Iran Standard Time",
    "Jerusalem": "Israel Standard Time",
    "Amman": "Jordan Standard Time",
    "Kaliningrad": "Kaliningrad Standard Time",
    "Seoul": "Korea Standard Time",
    "Tripoli": "Libya Standard Time",
    "Kiritimati Island": "Line Islands Standard Time",
    "Lord Howe Island": "Lord Howe Standard Time",
    "Magadan": "Magadan Standard Time",
    "Punta Arenas": "Magallanes Standard Time",
    "Marquesas Islands": "Marquesas Standard Time",
    "Port Louis": "Mauritius Standard Time",
    "Beirut": "Middle East Standard Time",
    "Montevideo": "Montevideo Standard Time",
    "Casablanca": "Morocco Standard Time",
    "Mountain Time (US & Canada)": "Mountain Standard Time",
    "Chihuahua, La Paz, Mazatlan": "Mountain Standard Time (Mexico)",
    "La Paz, Mazatlan": "Mountain Standard Time (Mexico)",
    "Yangon (Rangoon)": "Myanmar Standard Time",
    "Novosibirsk": "N. Central Asia Standard Time",
    "Windhoek": "Namibia Standard Time",
    "Kathmandu": "Nepal Standard Time",
    "Auckland, Wellington": "New Zealand Standard Time",
    "Newfoundland": "Newfoundland Standard Time",
    "Norfolk Island": "Norfolk Standard Time",
    "Irkutsk": "North Asia East Standard Time",
    "Krasnoyarsk": "North Asia Standard Time",
    "Pyongyang": "North Korea Standard Time",
    "Omsk": "Omsk Standard Time",
    "Santiago": "Pacific SA Standard Time",
    "Pacific Time (US & Canada)": "Pacific Standard Time",
    "Baja California": "Pacific Standard Time (Mexico)",
    "Islamabad, Karachi": "Pakistan Standard Time",
    "Asuncion": "Paraguay Standard Time",
    "Qyzylorda": "Qyzylorda Standard Time",
    "Brussels, Copenhagen, Madrid, Paris": "Romance Standard Time",
    "Izhevsk, Samara": "Russia Time Zone 3",
    "Chokurdakh": "Russia Time Zone 10",
    "Anadyr, Petropavlovsk-Kamchatsky": "Russia Time Zone 11",
    "Moscow, St. Petersburg": "Russian Standard Time",
    "Moscow, St. Petersburg, Volgograd": "Russian Standard Time",
    "Cayenne, Fortaleza": "SA Eastern Standard Time",
    "Bogota, Lima, Quito, Rio Branco": "SA Pacific Standard Time",
    "Bogota, Lima, Quito": "SA Pacific Standard Time",
    "Georgetown, La Paz, Manaus, San Juan": "SA Western Standard Time",
    "Saint Pierre and Miquelon": "Saint Pierre Standard Time",
    "Sakhalin": "Sakhalin Standard Time",
    "Samoa": "Samoa Standard Time",
    "Sao Tome": "Sao Tome Standard Time",
    "Saratov": "Saratov Standard Time",
    "Bangkok, Hanoi, Jakarta": "SE Asia Standard Time",
    "Kuala Lumpur, Singapore": "Singapore Standard Time",
    "Harare, Pretoria": "South Africa Standard Time",
    "Juba": "South Sudan Standard Time",
    "Sri Jayawardenepura": "Sri Lanka Standard Time",
    "Khartoum": "Sudan Standard Time",
    "Damascus": "Syria Standard Time",
    "Taipei": "Taipei Standard Time",
    "Hobart": "Tasmania Standard Time",
    "Araguaina": "Tocantins Standard Time",
    "Osaka, Sapporo, Tokyo": "Tokyo Standard Time",
    "Tomsk": "Tomsk Standard Time",
    "Nuku'alofa": "Tonga Standard Time",
    "Chita": "Transbaikal Standard Time",
    "Istanbul": "Turkey Standard Time",
    "Turks and Caicos": "Turks And Caicos Standard Time",
    "Ulaanbaatar": "Ulaanbaatar Standard Time",
    "Indiana (East)": "US Eastern Standard Time",
    "Arizona": "US Mountain Standard Time",
    "Caracas": "Venezuela Standard Time",
    "Vladivostok": "Vladivostok Standard Time",
    "Volgograd": "Volgograd Standard Time",
    "Perth": "W. Australia Standard Time",
    "West Central Africa": "W. Central Africa Standard Time",
    "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna": "W. Europe Standard Time",
    "Hovd": "W. Mongolia Standard Time",
    "Ashgabat, Tashkent": "West Asia Standard Time",
    "Gaza, Hebron": "West Bank Standard Time",
    "Guam, Port Moresby": "West Pacific Standard Time",
    "Yakutsk": "Yakutsk Standard Time",
    "Yukon": "Yukon Standard Time",
}

_LABEL = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)\s*(.*)$", re.I)


def _key(text: str) -> str:
    return " ".join(text.replace("\\,", ",").split()).casefold()


_BY_KEY = {_key(label): zone_id for label, zone_id in DISPLAY_NAMES.items()}


# The short US zone names Lotus Notes and early Apple iCal wrote as TZIDs, and the zones they
# stood for. Replies carry no VTIMEZONE for them (vPim's test data: an iCal 1.5 reply to a Notes
# 6 invitation, `TZID=Pacific`); a VTIMEZONE of the same name in the file is still used first.
# "Pacific" also names a folder of the IANA database, which icalendar then fails to open.
US_SHORT_NAMES = {
    "eastern": "America/New_York", "central": "America/Chicago",
    "mountain": "America/Denver", "pacific": "America/Los_Angeles",
}


@lru_cache(maxsize=512)
def zone_for_display_name(tzid: str) -> tuple[str | None, int | None]:
    """(IANA zone, None) for a Windows display name or a short US zone name we know; (None,
    offset in minutes) for a display name we do not, from the offset written in it; (None,
    None) when `tzid` is no such label."""
    short = US_SHORT_NAMES.get(tzid.strip().casefold())
    if short:
        return short, None
    match = _LABEL.match(tzid.strip())
    if not match:
        return None, None
    sign, hours, minutes, label = match.groups()
    zone_id = _BY_KEY.get(_key(label))
    iana = WINDOWS_TO_OLSON.get(zone_id) if zone_id else None
    if zone_id == "UTC":
        iana = "UTC"
    if iana:
        return iana, None
    offset = 0 if not hours else int(hours) * 60 + int(minutes or 0)
    if offset > 14 * 60:
        return None, None
    return None, -offset if sign == "-" else offset


@lru_cache(maxsize=512)
def names_a_zone_folder(tzid: str) -> bool:
    """Whether `tzid` names a folder of the IANA database (`Europe`, `America`, `Etc`) rather
    than a zone: icalendar does not catch the error opening it and cannot read the event."""
    try:
        ZoneInfo(tzid.strip())
    except OSError:  # IsADirectoryError, or PermissionError on some systems
        return True
    except Exception:  # noqa: BLE001 - not found, or not a valid key: icalendar handles those
        return False
    return False


def fixed_offset_timezone(offset_minutes: int) -> tuple[str, str]:
    """(TZID, VTIMEZONE text) of a zone at a fixed offset from UTC, no daylight saving time."""
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    offset = f"{sign}{hours:02d}{minutes:02d}"
    tzid = f"strongties-fixed{offset}"
    text = "\n".join([
        "BEGIN:VTIMEZONE", f"TZID:{tzid}", "BEGIN:STANDARD", "DTSTART:16010101T000000",
        f"TZOFFSETFROM:{offset}", f"TZOFFSETTO:{offset}", "END:STANDARD", "END:VTIMEZONE",
    ])
    return tzid, text
