"""Writes a realistic, entirely fictitious inbox (vCard, LinkedIn export, calendar, mail, referrals) from a seed.

Usage, as a script or a module:

    python data/generate_inbox.py --people 150 --seed 7 --as-of 2026-11-20 --out data/sample
    from data.generate_inbox import generate_inbox

Every person is invented: names are drawn from pools of common names, every e-mail address
and domain lies under example.com / example.org / example.net, LinkedIn slugs are made up,
and phone numbers come from the ranges reserved for drama (Ofcom's UK ranges, NANP 555-01xx).
The same arguments always give byte-identical files: each person is drawn from a random
generator seeded by (seed, person), nothing reads the clock, and zip members carry a fixed
timestamp. People are generated on the fly in every pass, so memory stays bounded for
inboxes of hundreds of thousands of people; only the Dunbar 150 are kept in memory.

Each person has a latent tier by rank (Dunbar's layers: 5 closest, 15 close, 30 active,
100 known, everyone else an acquaintance) and some of the 150 are dormant: close years ago,
silent for more than a year. A few of the 150 change on purpose (`trajectory` in the truth):
a close colleague who moves away and fades over months (`fading`), a new acquaintance who
becomes a close collaborator (`rising`), a mentor met every quarter like clockwork
(`clockwork`, with the planned `every_days` and whether the next meeting is `overdue`).
`--truth PATH` writes which source record belongs to whom, and those facts about them.
"""
from __future__ import annotations

import argparse
import base64
import csv
import math
import re
import shutil
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from pathlib import Path
from random import Random
from urllib.parse import quote, unquote

# --- The people model -------------------------------------------------------------------

# Dunbar's layers (about 5, 15, 50 and 150 people, each including the one inside it).
# Inboxes larger than 150 add acquaintances only; smaller ones keep the proportions.
DUNBAR_LAYERS = (("closest", 5), ("close", 20), ("active", 50), ("known", 150))
DUNBAR_SIZE = 150
ACQUAINTANCE = "acquaintance"
# About 8% of the Dunbar 150 are dormant ties: close 2-5 years ago, silent since. Larger
# inboxes do not add more: nobody has thousands of lapsed close friends.
DORMANT_SHARE = 0.08
# A dormant tie's last contact lies this many days before as-of (13 to 18 months), and their
# rich history covers this many days before that.
DORMANT_SILENCE_DAYS = (395, 550)
DORMANT_HISTORY_DAYS = (500, 1100)
# Current ties are observed over at most this many days before as-of (about 30 months).
HISTORY_DAYS = 900
UPCOMING_DAYS = 60
OWNER_KEY = "owner"
OWNER_TRUTH = (OWNER_KEY, "owner", "false", "", "", "")

# Ties whose strength changes on purpose, for the relationships-over-time benchmarks:
# (trajectory, tier they are drawn from, how many). Faders are mostly close ties (the
# product's fading_ties watches the strongest fifth), risers end up close, mentors are in the
# active layer.
TRAJECTORY_ROLES = (("fading", "closest", 1), ("fading", "close", 3), ("fading", "active", 1),
                    ("rising", "close", 1), ("rising", "active", 2), ("clockwork", "active", 4))
# A fader moved away this many days before as-of (5.5 to 7 months): close until then, so six
# months ago they were at their peak; since then calls come further and further apart.
FADE_MOVED_DAYS = (165, 210)
FADE_FIRST_GAP_DAYS = 40
FADE_GAP_GROWTH = 1.7
# No fader goes silent: their last call is at least this recent (fading, not dormant).
FADE_LAST_CALL_DAYS = 30
# A riser was met 8 to 11 months ago (an intro call), and has worked with the owner weekly
# for the last 4 to 6 months.
RISE_MET_DAYS = (240, 330)
RISE_RAMP_DAYS = (120, 170)
# A mentor is met every three months on the same day of the month (a quarterly series over
# nine quarters). Half of them are overdue: the series ended 4 to 5.5 months ago and nothing
# was booked since; the others' last meeting is within the quarter.
CLOCKWORK_MONTHS = 3
CLOCKWORK_EVERY_DAYS = 91
CLOCKWORK_QUARTERS = 9
CLOCKWORK_OVERDUE_DAYS = (125, 165)
CLOCKWORK_ON_TIME_DAYS = (10, 75)


@dataclass(frozen=True)
class TierBehaviour:
    """How much of a person each source holds, by tier; the numbers are judgement calls that
    make the phone book about 60% of people and interaction volume fall steeply with tier."""

    in_vcard: float
    on_linkedin: float
    colleague: float
    messages: tuple[int, int]  # LinkedIn messages over the observed window, both ways
    email_visible: float  # share of connections showing an e-mail in Connections.csv
    years_known: tuple[float, float]


TIER_BEHAVIOUR = {
    "closest": TierBehaviour(0.95, 0.85, 0.6, (20, 36), 0.3, (3, 12)),
    "close": TierBehaviour(0.9, 0.85, 0.5, (6, 14), 0.15, (1.5, 10)),
    "active": TierBehaviour(0.7, 0.85, 0.5, (1, 5), 0.1, (0.5, 8)),
    "known": TierBehaviour(0.35, 0.8, 0.3, (0, 3), 0.08, (0.3, 10)),
    # Acquaintances missing from LinkedIn are always in the phone book (else they would be
    # nobody), which brings the phone book up to about 60% of people.
    ACQUAINTANCE: TierBehaviour(0.45, 0.7, 0.2, (0, 0), 0.05, (0.05, 12)),
}
# Dormant ties were closest or close, so their past looks like it (their history window is
# drawn from DORMANT_HISTORY_DAYS, not from years_known).
DORMANT_BEHAVIOUR = TierBehaviour(0.9, 0.85, 0.6, (10, 24), 0.2, (2, 6))
# Share of people whose LinkedIn employer differs from the one in the phone book.
EMPLOYER_CHANGE_SHARE = 0.22

OWNER_NAME = ("Alex", "Morgan")
OWNER_EMAILS = ("alex.morgan@example.com", "alex@morgan.example.org")
OWNER_SLUG = "alex-morgan-4a1b2c"
OWNER_MOBILE = "+44 7700 900000"
OWNER_COMPANY = "Larkspur Analytics"
OWNER_TITLE = "Head of Data Platform"
OWNER_DOMAIN = "example.com"
OWNER_UID = "A1E2C3D4-0000-4000-8000-00000000A11E"
RESOURCE_DOMAIN = "resource.calendar.example.com"
CALENDAR_TZID = "Europe/London"

# (name, nicknames): the phone book often holds the nickname, LinkedIn the formal name.
GIVEN_NAMES = (
    ("Robert", ("Bob", "Rob")), ("Michael", ("Mike",)), ("William", ("Will", "Bill")),
    ("James", ("Jim", "Jamie")), ("Thomas", ("Tom",)), ("Daniel", ("Dan",)),
    ("Christopher", ("Chris",)), ("Matthew", ("Matt",)), ("Andrew", ("Andy",)),
    ("Joseph", ("Joe",)), ("Benjamin", ("Ben",)), ("Nicholas", ("Nick",)),
    ("Anthony", ("Tony",)), ("Edward", ("Ed", "Ted")), ("Richard", ("Rick",)),
    ("Jonathan", ("Jon",)), ("Timothy", ("Tim",)), ("Gregory", ("Greg",)),
    ("Samuel", ("Sam",)), ("Stephen", ("Steve",)), ("Peter", ("Pete",)), ("David", ("Dave",)),
    ("Charles", ("Charlie",)), ("Henry", ("Harry",)), ("Oliver", ("Ollie",)),
    ("Theodore", ("Theo",)), ("Kenneth", ("Ken",)), ("Jeffrey", ("Jeff",)),
    ("Elizabeth", ("Liz", "Beth")), ("Katherine", ("Kate", "Katie")), ("Jennifer", ("Jen",)),
    ("Margaret", ("Maggie", "Meg")), ("Rebecca", ("Becky",)), ("Patricia", ("Trish",)),
    ("Susan", ("Sue",)), ("Victoria", ("Vicky",)), ("Stephanie", ("Steph",)),
    ("Samantha", ("Sam",)), ("Catherine", ("Cathy",)), ("Deborah", ("Debbie",)),
    ("Christina", ("Tina",)), ("Abigail", ("Abby",)), ("Jessica", ("Jess",)),
    ("Natalie", ("Nat",)), ("Eleanor", ("Ellie",)), ("Amanda", ("Mandy",)),
    ("Jacqueline", ("Jackie",)), ("Josephine", ("Jo",)), ("Madeleine", ("Maddie",)),
    ("Priya", ()), ("Aisha", ()), ("Wei", ()), ("Mei", ()), ("Hiroshi", ()), ("Yuki", ()),
    ("Fatima", ()), ("Omar", ()), ("Tariq", ()), ("Amara", ()), ("Chidi", ()), ("Ngozi", ()),
    ("Kwame", ()), ("Ingrid", ()), ("Lars", ()), ("Astrid", ()), ("Pieter", ()), ("Sanne", ()),
    ("Luca", ()), ("Giulia", ()), ("Matteo", ()), ("Chiara", ()), ("Ravi", ()), ("Deepa", ()),
    ("Hana", ()), ("Olga", ()), ("Dmitri", ()), ("Rohan", ()), ("Arjun", ()), ("Nadia", ()),
    ("Leila", ()), ("Yusuf", ()), ("Mateo", ()), ("Valentina", ()), ("Camila", ()),
    ("Diego", ()), ("Sofia", ()), ("Grace", ()), ("Ruth", ()), ("Hugo", ()), ("Freya", ()),
    ("José", ("Pepe",)), ("Zoë", ()), ("Renée", ()), ("Chloé", ()), ("Søren", ()),
    ("Björn", ()), ("François", ()), ("Inês", ()), ("Raphaël", ()), ("Mónica", ()),
    ("Lucía", ()), ("Jürgen", ()), ("Noémie", ()), ("Siân", ()), ("Anaïs", ()),
)
FAMILY_NAMES = (
    "Chen", "Patel", "Shah", "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans",
    "Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker",
    "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Jackson",
    "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee",
    "King", "Baker", "Harrison", "Allen", "Khan", "Ali", "Singh", "Kumar", "Nguyen", "Tran",
    "Kim", "Park", "Wang", "Li", "Zhang", "Liu", "Yamamoto", "Tanaka", "Sato", "Okafor",
    "Adeyemi", "Mensah", "Nowak", "Kowalski", "Wójcik", "Müller", "Schmidt", "Fischer",
    "Weber", "Becker", "Hoffmann", "Rossi", "Bianchi", "Romano", "Ricci", "García",
    "Martínez", "López", "González", "Rodríguez", "Fernández", "Núñez", "Pérez", "Sánchez",
    "Ferreira", "Silva", "Costa", "Santos", "Oliveira", "Dubois", "Lefèvre", "Moreau",
    "Laurent", "Girard", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Andersson",
    "Johansson", "Nilsson", "Larsen", "Hansen", "Østergaard", "O'Brien", "McCarthy",
    "Murphy", "Kelly", "Byrne", "Ivanova", "Petrov", "Novak", "Horvat", "Popescu", "Yilmaz",
    "Demir", "Haddad", "Nasser", "Mendes", "Cohen", "Levi", "Friedman", "Goldberg",
    "MacLeod", "Fraser", "Campbell", "Stewart", "Sinclair", "Whitfield", "Ashworth",
    "Pemberton", "Hargreaves",
)
MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    email_pattern: str  # first.last, flast, first_last, firstl
    uses_outlook: bool  # its people invite with Outlook: "Family, Given" display names


COMPANIES = (
    Company("Kestrel Robotics", "kestrelrobotics.example.com", "first.last", True),
    Company("Harbourline Logistics", "harbourline.example.net", "flast", True),
    Company("Quillfeather Press", "quillfeather.example.org", "first.last", False),
    Company("Brightmoor Health", "brightmoor.example.org", "first_last", True),
    Company("Saltmarsh Energy", "saltmarsh.example.com", "first.last", True),
    Company("Larchwood Capital", "larchwood.example.com", "flast", True),
    Company("Orchid Bay Foods", "orchidbay.example.net", "firstl", False),
    Company("Ironbridge Consulting", "ironbridge.example.com", "first.last", True),
    Company("Bluefin Data", "bluefindata.example.com", "first", False),
    Company("Meridian, Vale & Co", "meridianvale.example.org", "flast", True),
    Company("Copperleaf Games", "copperleaf.example.net", "first.last", False),
    Company("Tidewater Insurance", "tidewater.example.com", "first_last", True),
    Company("Foxglove Studio", "foxglove.example.org", "first", False),
    Company("Granite Peak Software", "granitepeak.example.com", "first.last", False),
    Company("Willowmere University", "willowmere.example.org", "first.last", True),
    Company("Northgate Bank", "northgatebank.example.com", "first.last", True),
    Company("Silverline Telecom", "silverline.example.net", "flast", True),
    Company("Pinecrest Retail", "pinecrest.example.com", "first.last", False),
    Company("Redkite Ventures", "redkite.example.com", "first", False),
    Company("Stonebridge Legal", "stonebridge.example.org", "flast", True),
    Company("Lumen & Finch", "lumenfinch.example.net", "first.last", False),
    Company("Cobalt Systems", "cobaltsystems.example.com", "first.last", True),
    Company("Seabright Shipping", "seabright.example.net", "first_last", True),
    Company("Hollowell Pharma", "hollowell.example.com", "first.last", True),
    Company("Juniper Grid", "junipergrid.example.org", "firstl", False),
    Company("Skylark Aerospace", "skylark.example.com", "first.last", True),
)
OWNER_EMPLOYER = Company(OWNER_COMPANY, OWNER_DOMAIN, "first.last", False)
PERSONAL_DOMAINS = ("mail.example.net", "example.net", "post.example.org", "inbox.example.com")
TITLES = (
    "Data Engineer", "Senior Data Engineer", "Staff Engineer", "Software Engineer",
    "Engineering Manager", "Head of Data", "VP Engineering", "CTO", "Product Manager",
    "Senior Product Designer", "Data Scientist", "Analytics Lead", "Research Scientist",
    "Talent Partner", "Founder", "Partner", "Principal Consultant", "Marketing Director",
    "Account Executive", "Head of People", "Lecturer in Statistics", "Operations Manager",
)
SKILLS = (
    "Data Engineering", "Python", "SQL", "Data Modeling", "Apache Spark", "Leadership",
    "Stakeholder Management", "Machine Learning", "dbt", "Analytics", "Public Speaking",
    "Mentoring", "Cloud Architecture", "ETL",
)
STREETS = (
    "Larkspur Lane", "Quarry Road", "Elm Grove", "Mill Street", "Orchard Close",
    "Station Road", "Victoria Terrace", "Chapel Walk", "Kingfisher Way", "Beacon Hill",
    "Rowan Avenue", "Harbour View", "Foundry Lane", "Linden Crescent",
)
TOWNS = (
    ("London", "N", "United Kingdom"), ("Bristol", "BS", "United Kingdom"),
    ("Manchester", "M", "United Kingdom"), ("Leeds", "LS", "United Kingdom"),
    ("Edinburgh", "EH", "United Kingdom"), ("Cambridge", "CB", "United Kingdom"),
)
NOTES = (
    "Met at PyData London", "Ex-colleague, knows everyone in data infra",
    "Intro via a former manager; ask about the platform migration",
    "Kids at the same school", "Mentor from my first job",
    "Conference speaker; great on streaming systems, happy to review talks and proposals",
    "Plays five-a-side on Thursdays",
)
MESSAGE_TEXTS = (
    "Great to catch up today!", "Are you free for a coffee next week?",
    "Thanks for the intro, really appreciated.", "Did you see the job posting I sent?",
    "Happy to review your talk proposal, send it over.",
    "Congrats on the new role!", "Sharing the slides from yesterday, as promised.",
    "Quick question about your team's data platform, do you have 15 minutes?",
    "Running late, see you at 1pm instead.",
    "Hi Alex,\nhope all is well. Would love your view on a project we're starting.",
    "Thanks! Let's do lunch soon.", "I'll put you in touch with our hiring manager.",
    "Loved your post on data contracts.", "Ping me when you're back in London.",
)
INVITATION_TEXTS = (
    "Hi Alex, great to meet you at the meetup yesterday.",
    "Hello, I'd like to add you to my professional network.",
    "Enjoyed your talk, would be good to stay in touch.",
)
RECOMMENDATION_TEXTS = (
    "Alex is the rare engineer who makes the whole team better. Calm under pressure, "
    "generous with time, and relentless about data quality.",
    "I worked with Alex for three years. Alex built our data platform from scratch, "
    "mentored half the team and never once lost sight of what the business needed.",
    "Thoughtful, pragmatic and kind. I would hire Alex again without hesitation.",
)
RECOMMENDATION_GIVEN_TEXTS = (
    "{name} is one of the sharpest people I have worked with: clear thinking, clear writing, "
    "and a knack for finding the question behind the question.",
    "{name} led our analytics guild and made it the best place to learn in the company.",
)
REFERRAL_NOTES = {
    "job_offer": ("Referred me for a lead role", "Put my name forward for a staff role", ""),
    "client": ("Brought in a consulting client", "Intro to a client's data team", ""),
    "speaking": ("Keynote slot at a meetup", "Invited me to speak at their conference", ""),
    "intro": ("Intro to a founder", "Intro to a hiring manager", "Intro, coffee", ""),
    "mentorship": ("Monthly mentoring sessions", "Career advice", ""),
}
REFERRAL_KINDS = tuple(REFERRAL_NOTES)

# Ranges reserved for fiction, so no generated number can ring anyone: Ofcom's drama numbers
# (1000 a range) and NANP's 555-0100..0199 (100 an area code). People beyond their capacity
# have no phone.
UK_MOBILE_PREFIX = "7700 900"
UK_LANDLINE_PREFIXES = (
    "20 7946 0", "113 496 0", "114 496 0", "115 496 0", "116 496 0", "117 496 0",
    "118 496 0", "121 496 0", "131 496 0", "141 496 0", "151 496 0", "161 496 0",
    "191 498 0", "29 2018 0", "28 9649 6",
)
US_AREA_CODES = (
    "202", "206", "212", "213", "303", "305", "312", "404", "415", "503", "512", "602",
    "617", "646", "702", "718", "720", "773", "808", "917",
)
UK_MOBILES = 999  # 07700 900001..900999; 900000 is the owner's
LANDLINES = len(UK_LANDLINE_PREFIXES) * 1000 + len(US_AREA_CODES) * 100

CONNECTIONS_PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
)
CONNECTIONS_HEADER = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]
MESSAGES_HEADER = [
    "CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO",
    "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER", "IS MESSAGE DRAFT",
    "IS CONVERSATION DRAFT",
]
INVITATIONS_HEADER = ["From", "To", "Sent At", "Message", "Direction", "inviterProfileUrl", "inviteeProfileUrl"]
RECOMMENDATIONS_HEADER = ["First Name", "Last Name", "Company", "Job Title", "Text", "Creation Date", "Status"]
ENDORSEMENTS_RECEIVED_HEADER = [
    "Endorsement Date", "Skill Name", "Endorser First Name", "Endorser Last Name",
    "Endorser Public Url", "Endorsement Status",
]
ENDORSEMENTS_GIVEN_HEADER = [
    "Endorsement Date", "Skill Name", "Endorsee First Name", "Endorsee Last Name",
    "Endorsee Public Url", "Endorsement Status",
]
REFERRALS_HEADER = ["date", "person", "direction", "kind", "value", "note"]
TRUTH_HEADER = ["source", "source_key", "true_person", "tier", "dormant", "trajectory", "every_days", "overdue"]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LINKEDIN_PREFIX = "https://www.linkedin.com/in/"


# --- Text helpers -----------------------------------------------------------------------

# Letters NFKD cannot take apart, typed the way a phone keyboard user would.
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae"})


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def email_token(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


def fold_line(line: str) -> str:
    """RFC 5545/6350 folding: at most 75 octets a line, never inside a UTF-8 character."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    pieces, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(raw[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(pieces)


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


def param_value(value: str) -> str:
    return f'"{value}"' if any(ch in value for ch in ':;,') else value


def connected_on(day: date) -> str:
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def utc_stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def us_short(moment: datetime, pad_hour: bool) -> str:
    hour = moment.hour % 12 or 12
    hour_text = f"{hour:02d}" if pad_hour else str(hour)
    meridiem = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year % 100:02d}, {hour_text}:{moment.minute:02d} {meridiem}"


def ics_local(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def ics_utc(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}Z"


def random_day(rng: Random, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=rng.randint(0, max(span, 0)))


def random_moment(rng: Random, start: date, end: date) -> datetime:
    day = random_day(rng, start, end)
    return datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59), rng.randint(0, 59)))


def working_slot(rng: Random, start: date, end: date, hours=(9, 17)) -> datetime:
    """A weekday start time on the hour or half hour."""
    day = random_day(rng, start, end)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(rng.randint(hours[0], hours[1] - 1), rng.choice((0, 30))))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier); days past the 28th are not used."""
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def typo(rng: Random, word: str) -> str:
    """Two neighbouring inner letters swapped, the commonest slip on a phone keyboard."""
    if len(word) < 4:
        return word
    at = rng.randint(1, len(word) - 3)
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


# --- The plan: who is special, decided before anyone is drawn ---------------------------


@dataclass
class Plan:
    people: int
    seed: int
    as_of: date
    layer_ends: list[tuple[str, int]]
    dormant: set[int]
    special: dict[int, str]
    company_gatherings: dict[int, int]  # acquaintance index -> which company gathering
    order_step: int
    order_offset: int
    met_acquaintances: frozenset[int] = frozenset()  # acquaintances with a meeting of their own
    trajectories: dict[int, str] = field(default_factory=dict)  # index -> fading, rising, clockwork

    def tier_of(self, index: int) -> str:
        for tier, end in self.layer_ends:
            if index < end:
                return tier
        return ACQUAINTANCE

    def rng(self, *parts) -> Random:
        return Random(":".join(str(part) for part in (self.seed, *parts)))

    def emission_order(self):
        """Every person once, in an order unrelated to rank, so file order leaks no tier."""
        for position in range(self.people):
            yield (position * self.order_step + self.order_offset) % self.people


def layer_ends(people: int) -> list[tuple[str, int]]:
    if people >= DUNBAR_SIZE:
        return list(DUNBAR_LAYERS)
    ends, previous = [], 0
    for tier, end in DUNBAR_LAYERS:
        scaled = max(previous, min(people, max(1, round(end * people / DUNBAR_SIZE))))
        ends.append((tier, scaled))
        previous = scaled
    ends[-1] = (ends[-1][0], people)
    return ends


# Company gatherings acquaintances may attend, at most one each: the monthly all-hands and two
# one-off events; the sizes keep the all-hands around 40 people with the core colleagues.
GATHERING_ACQUAINTANCES = (15, 18, 18)
ACQUAINTANCE_MEETINGS = ("Intro call", "Interview", "Vendor demo", "Conference follow-up", "Advisory call")
# Beyond the Dunbar 150, about one acquaintance in ten has met the owner once or twice in the
# calendar's years (an intro call, an interview, a vendor demo): a firm-sized address book
# comes with a firm-sized calendar, about 3,000 more events per 20,000 people.
ACQUAINTANCE_MEETING_SHARE = 0.1


def make_plan(people: int, seed: int, as_of: date) -> Plan:
    ends = layer_ends(people)
    rng = Random(f"{seed}:plan")
    end_of = dict(ends)
    special: dict[int, str] = {}

    def place(index: int, role: str) -> None:
        if 0 <= index < people and index not in special:
            special[index] = role

    place(0, "closest_colleague")
    # Hard negatives: two Michael Chens at different employers; a couple sharing a surname,
    # a home phone and an address. Positives that look like duplicates: two cards, one person.
    place(end_of["closest"] + 3, "michael_chen_close")
    place(end_of["active"] + 47, "michael_chen_known")
    place(end_of["close"] + 7, "couple_a")
    place(end_of["active"] + 14, "couple_b")
    place(3, "two_cards")
    place(end_of["close"] + 20, "two_cards")
    if "couple_b" not in special.values():
        special = {k: v for k, v in special.items() if v != "couple_a"}

    dunbar = min(people, DUNBAR_SIZE)
    candidates = [i for i in range(end_of["active"], dunbar) if i not in special]
    if not candidates:
        candidates = [i for i in range(end_of["closest"], dunbar) if i not in special]
    dormant_count = min(len(candidates), round(DORMANT_SHARE * dunbar))
    dormant = set(rng.sample(candidates, dormant_count))

    acquaintances = people - DUNBAR_SIZE
    gatherings: dict[int, int] = {}
    if acquaintances > 0:
        wanted = min(acquaintances, sum(GATHERING_ACQUAINTANCES))
        picked = rng.sample(range(DUNBAR_SIZE, people), wanted)
        start = 0
        for gathering, size in enumerate(GATHERING_ACQUAINTANCES):
            for index in picked[start:start + size]:
                gatherings[index] = gathering
            start += size

    # Drawn from a stream of their own, so that every other choice stays as it was.
    met = Random(f"{seed}:acquaintance meetings").sample(
        range(DUNBAR_SIZE, people), round(max(acquaintances, 0) * ACQUAINTANCE_MEETING_SHARE))

    # Drawn last, from a stream of their own, among people with no other role.
    trajectory_rng = Random(f"{seed}:trajectories")
    trajectories: dict[int, str] = {}
    starts = {tier: start for (tier, _), start in zip(ends, [0] + [end for _, end in ends])}
    for trajectory, tier, count in TRAJECTORY_ROLES:
        free = [i for i in range(starts[tier], end_of[tier])
                if i not in special and i not in dormant and i not in trajectories]
        for index in trajectory_rng.sample(free, min(count, len(free))):
            trajectories[index] = trajectory

    step = 7919 if people > 1 else 1
    while math.gcd(step, people) != 1:
        step += 2
    return Plan(people, seed, as_of, ends, dormant, special, gatherings, step, seed % max(people, 1), frozenset(met),
                trajectories)


# --- A person ---------------------------------------------------------------------------


@dataclass
class Person:
    index: int
    tier: str
    dormant: bool
    given: str
    family: str
    middle: str
    nickname: str | None
    company: Company
    title: str
    colleague: bool
    old_company: Company | None
    old_title: str | None
    change_date: date | None
    work_email: str
    old_work_email: str | None
    personal_email: str
    slug: str | None
    connected: date | None
    pending: bool  # an unanswered invitation instead of a connection
    phone: str | None
    phone_is_mobile: bool
    home_phone: str | None
    uids: list[str]
    met: date
    window: tuple[date, date]
    address: tuple[str, str, str, str] | None = None
    bday: str | None = None
    note: str | None = None
    vcard_rev: datetime | None = None
    vcard_given: str = ""
    vcard_family: str = ""
    vcard_work_email: str | None = None
    vcard_linkedin: bool = False
    linkedin_first: str = ""
    linkedin_email: str = ""
    calendar_middle: bool = False
    calendar_no_cn: bool = False
    special: str = ""
    trajectory: str = ""  # fading, rising, clockwork or none
    moved_on: date | None = None  # a fader's move away
    ramp_from: date | None = None  # a riser's first weekly working session
    last_planned: date | None = None  # a mentor's last quarterly meeting before as-of
    overdue: bool = False  # a mentor whose next quarterly meeting is late

    @property
    def truth(self) -> tuple[str, ...]:
        """What the truth file says of them: (true_person, tier, dormant, trajectory, every_days, overdue)."""
        clockwork = self.trajectory == "clockwork"
        return (self.key, self.tier, "true" if self.dormant else "false", self.trajectory,
                str(CLOCKWORK_EVERY_DAYS) if clockwork else "", ("true" if self.overdue else "false") if clockwork else "")

    @property
    def key(self) -> str:
        return f"p{self.index:06d}"

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def linkedin_url(self) -> str | None:
        return LINKEDIN_PREFIX + self.slug if self.slug else None

    @property
    def linkedin_key(self) -> str | None:
        """The contract's key: what `normalize_linkedin_url` makes of every form written."""
        return LINKEDIN_PREFIX + unquote(self.slug).lower() if self.slug else None

    def display(self, outlook: bool = False) -> str:
        if outlook:
            return f"{self.family}, {self.given}"
        if self.calendar_middle and self.middle:
            return f"{self.given} {self.middle}. {self.family}"
        return self.full_name

    def email_on(self, day: date) -> str:
        """The work address in use that day: before a change of employer, the old one."""
        if self.old_work_email and self.change_date and day < self.change_date:
            return self.old_work_email
        return self.work_email


def work_address(given: str, family: str, company: Company, suffix: str) -> str:
    first, last = email_token(given), email_token(family)
    local = {
        "first.last": f"{first}.{last}",
        "flast": f"{first[:1]}{last}",
        "first_last": f"{first}_{last}",
        "firstl": f"{first}{last[:1]}",
        "first": first,
    }[company.email_pattern]
    return f"{local}{suffix}@{company.domain}"


class Registry:
    """Addresses and slugs already given to the Dunbar 150, which get plain ones when free.

    Everyone beyond 150 gets their index as a suffix (at least three digits), while the 150
    get at most two digits, so the two groups can never collide and nobody beyond 150 needs
    remembering.
    """

    def __init__(self) -> None:
        self.taken: set[str] = {*OWNER_EMAILS, OWNER_SLUG}

    def claim(self, rng: Random, make) -> str:
        for attempt in range(200):
            suffix = "" if attempt == 0 else str(rng.randint(2, 99))
            value = make(suffix)
            if value not in self.taken:
                self.taken.add(value)
                return value
        raise RuntimeError("name pool exhausted")


def phone_for(index: int, seed: int) -> tuple[str | None, str | None]:
    """(mobile, landline), each unique to this index, from the fiction-reserved ranges."""
    mobile = None
    if index < UK_MOBILES:
        slot = (index * 379 + seed) % UK_MOBILES + 1
        mobile = f"+44 {UK_MOBILE_PREFIX}{slot:03d}"
    landline = None
    if index < LANDLINES:
        slot = (index * 7919 + seed) % LANDLINES
        uk_slots = len(UK_LANDLINE_PREFIXES) * 1000
        if slot < uk_slots:
            prefix = UK_LANDLINE_PREFIXES[slot // 1000]
            landline = f"+44 {prefix}{slot % 1000:03d}"
        else:
            slot -= uk_slots
            landline = f"+1 {US_AREA_CODES[slot // 100]} 555 01{slot % 100:02d}"
    return mobile, landline


def local_phone(number: str, rng: Random) -> str:
    """The number as people type it into a phone book."""
    if number.startswith("+44 "):
        digits = number[4:]
        style = rng.random()
        if style < 0.4:
            return number
        if style < 0.8:
            return "0" + digits
        return "0" + digits.replace(" ", "")
    area, exchange, line = number[3:].split(" ")
    return rng.choice((number, f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}"))


# Hard-negative and look-alike roles fix a person's name so the benchmarks can rely on them.
SPECIAL_NAMES = {
    "michael_chen_close": ("Michael", ("Mike",), "Chen"),
    "michael_chen_known": ("Michael", ("Mike",), "Chen"),
    "couple_a": ("Priya", (), "Shah"),
    "couple_b": ("Rohan", (), "Shah"),
}
# The two Michael Chens work at different, fixed employers, neither of them the owner's.
SPECIAL_EMPLOYERS = {"michael_chen_known": COMPANIES[0], "michael_chen_close": COMPANIES[7]}
# Share of slugs people chose themselves ("janedoe"); the rest carry LinkedIn's hex suffix.
VANITY_SLUG_SHARE = 0.3
PENDING_INVITATION_SHARE = 0.04
# Earliest LinkedIn connection date: old enough for long careers, young enough for LinkedIn.
FIRST_CONNECTION = date(2009, 1, 1)


def new_uid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def profile_suffix(index: int, seed: int) -> str:
    """LinkedIn's hex suffix; multiplying by an odd number is a bijection modulo 2**32, so no
    two people share one."""
    return f"{(index * 2654435761 + seed) % 2**32:08x}"


def make_person(plan: Plan, index: int, registry: Registry | None) -> Person:
    """Person `index`, the same every time: drawn from a generator seeded by (seed, index).

    `registry` is given for the Dunbar 150 (plain addresses when free); everyone else gets
    their index in their addresses, which keeps them unique without remembering anyone.
    """
    rng = plan.rng("person", index)
    tier = plan.tier_of(index)
    dormant = index in plan.dormant
    special = plan.special.get(index, "")
    behaviour = DORMANT_BEHAVIOUR if dormant else TIER_BEHAVIOUR[tier]
    as_of = plan.as_of

    given, nicknames = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    given, nicknames, family = SPECIAL_NAMES.get(special, (given, nicknames, family))
    middle = rng.choice(MIDDLE_INITIALS) if rng.random() < 0.25 else ""
    nickname = rng.choice(nicknames) if nicknames and rng.random() < 0.6 else None

    colleague = rng.random() < behaviour.colleague
    if special == "closest_colleague" or index in plan.company_gatherings:
        colleague = True
    company = OWNER_EMPLOYER if colleague else rng.choice(COMPANIES)
    if special in SPECIAL_EMPLOYERS:
        colleague, company = False, SPECIAL_EMPLOYERS[special]
    title = rng.choice(TITLES)

    if dormant:
        end = as_of - timedelta(days=rng.randint(*DORMANT_SILENCE_DAYS))
        start = end - timedelta(days=rng.randint(*DORMANT_HISTORY_DAYS))
        met = start - timedelta(days=rng.randint(0, 700))
        window = (start, end)
    else:
        met = as_of - timedelta(days=int(rng.uniform(*behaviour.years_known) * 365))
        window = (max(met, as_of - timedelta(days=HISTORY_DAYS)), as_of)

    old_company = old_title = change_date = None
    if dormant:
        # Close once, often as colleagues; since then they moved on and went quiet.
        old_company = OWNER_EMPLOYER if rng.random() < 0.6 else rng.choice(COMPANIES)
        company = rng.choice([c for c in COMPANIES if c != old_company])
        colleague = False
        change_date = window[1] + timedelta(days=rng.randint(0, 60))
    elif rng.random() < EMPLOYER_CHANGE_SHARE and (as_of - met).days > 120:
        old_company = rng.choice([c for c in COMPANIES if c != company])
        change_date = random_day(rng, met + timedelta(days=60), as_of - timedelta(days=30))
    if old_company:
        old_title = rng.choice(TITLES)

    first, last = email_token(given), email_token(family)
    personal_domain = rng.choice(PERSONAL_DOMAINS)
    personal_local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[:1]}{last}"))

    def claim(make) -> str:
        return registry.claim(rng, make) if registry is not None else make(str(index))

    work_email = claim(lambda suffix: work_address(given, family, company, suffix))
    old_work_email = claim(lambda suffix: work_address(given, family, old_company, suffix)) if old_company else None
    personal_email = claim(lambda suffix: f"{personal_local}{suffix}@{personal_domain}")

    slug = connected = None
    pending = False
    if rng.random() < behaviour.on_linkedin or special in SPECIAL_EMPLOYERS:
        if registry is not None and rng.random() < VANITY_SLUG_SHARE:
            slug = registry.claim(rng, lambda suffix: f"{first}{last}{suffix}")
        elif rng.random() < 0.4 and ascii_fold(given + family) != given + family:
            # Some slugs keep their accents, which the export writes percent-encoded.
            slug = f"{quote(given.lower())}-{quote(family.lower().replace(' ', '-'))}-{profile_suffix(index, plan.seed)}"
        else:
            slug = f"{first}-{last}-{profile_suffix(index, plan.seed)}"
        if tier == ACQUAINTANCE and rng.random() < PENDING_INVITATION_SHARE:
            pending = True  # an invitation neither side has answered yet
        else:
            earliest = max(met, FIRST_CONNECTION)
            connected = random_day(rng, earliest, min(as_of, earliest + timedelta(days=400)))

    mobile, landline = phone_for(index, plan.seed)
    home_phone = landline if mobile and rng.random() < 0.2 else None

    in_vcard = rng.random() < behaviour.in_vcard or special in ("two_cards", "couple_a", "couple_b")
    # Everyone modelled appears somewhere: someone in neither the phone book, LinkedIn nor a
    # company gathering would be nobody.
    if not slug and index not in plan.company_gatherings:
        in_vcard = True
    uids = [new_uid(rng)] if in_vcard else []
    if in_vcard and special == "two_cards":
        uids.append(new_uid(rng))

    person = Person(
        index=index, tier=tier, dormant=dormant, given=given, family=family, middle=middle,
        nickname=nickname, company=company, title=title, colleague=colleague,
        old_company=old_company, old_title=old_title, change_date=change_date,
        work_email=work_email, old_work_email=old_work_email, personal_email=personal_email,
        slug=slug, connected=connected, pending=pending, phone=mobile or landline,
        phone_is_mobile=bool(mobile) or (landline or "").startswith("+1"), home_phone=home_phone,
        uids=uids, met=met, window=window, special=special,
    )
    describe_in_phone_book(person, rng, as_of)
    describe_elsewhere(person, rng, behaviour)
    if index in plan.trajectories:
        shape_trajectory(person, plan.trajectories[index], plan, claim)
    return person


def shape_trajectory(person: Person, trajectory: str, plan: Plan, claim) -> None:
    """Moves a tie's history so that its strength changes as planned. Drawn from a stream of
    its own, after the person's usual draws, so that nobody else changes."""
    rng = plan.rng("trajectory", person.index)
    as_of = plan.as_of
    person.trajectory = trajectory
    # A change of employer would add a second work address to follow; these ties keep one.
    person.old_company = person.old_title = person.change_date = person.old_work_email = None
    if person.vcard_work_email and person.vcard_work_email != person.work_email:
        person.vcard_work_email = person.work_email
    if trajectory == "fading":
        # A colleague for years who moved to another office: the messages, mail and weekly
        # meetings stop at the move; the calls after it thin out.
        person.met = min(person.met, as_of - timedelta(days=730))
        if not person.colleague:
            person.colleague, person.company = True, OWNER_EMPLOYER
            person.work_email = claim(lambda suffix: work_address(person.given, person.family, OWNER_EMPLOYER, suffix))
            if person.vcard_work_email:
                person.vcard_work_email = person.work_email
            if person.linkedin_email and person.linkedin_email != person.personal_email:
                person.linkedin_email = person.work_email
        person.moved_on = as_of - timedelta(days=rng.randint(*FADE_MOVED_DAYS))
        person.window = (max(person.met, as_of - timedelta(days=HISTORY_DAYS)), person.moved_on)
    elif trajectory == "rising":
        person.met = as_of - timedelta(days=rng.randint(*RISE_MET_DAYS))
        person.ramp_from = as_of - timedelta(days=rng.randint(*RISE_RAMP_DAYS))
        person.window = (person.ramp_from, as_of)
        if person.connected:
            person.connected = random_day(rng, person.met, person.met + timedelta(days=60))
    elif trajectory == "clockwork":
        # Known for years, met only at the quarterly mentoring sessions.
        person.met = min(person.met, as_of - timedelta(days=1100))
        person.window = (as_of - timedelta(days=HISTORY_DAYS), as_of)
        if person.connected and person.connected > as_of - timedelta(days=400):
            person.connected = random_day(rng, person.met, person.met + timedelta(days=200))
        person.overdue = rng.random() < 0.5
        person.last_planned = as_of - timedelta(days=rng.randint(*(CLOCKWORK_OVERDUE_DAYS if person.overdue
                                                                   else CLOCKWORK_ON_TIME_DAYS)))
        if person.last_planned.day > 28:  # the same day every quarter: no 29th to 31st
            person.last_planned = person.last_planned.replace(day=28)


def describe_in_phone_book(person: Person, rng: Random, as_of: date) -> None:
    """How the phone book holds them: nickname, accents dropped, the odd typo, old details."""
    given = person.nickname if person.nickname and rng.random() < 0.5 else person.given
    family = person.family
    if rng.random() < 0.5:
        given, family = ascii_fold(given), ascii_fold(family)
    if rng.random() < 0.04:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
    if person.special == "michael_chen_close":
        given = "Mike"
    person.vcard_given, person.vcard_family = given, family
    if person.old_work_email and rng.random() < 0.6:
        person.vcard_work_email = person.old_work_email
    elif rng.random() < 0.35:
        person.vcard_work_email = person.work_email
    person.vcard_linkedin = bool(person.slug) and rng.random() < 0.12
    revised_on = random_day(rng, min(person.met, as_of), as_of)
    person.vcard_rev = datetime.combine(revised_on, time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))
    if rng.random() < 0.3:
        birthday = date(as_of.year - rng.randint(24, 62), rng.randint(1, 12), rng.randint(1, 28))
        # iPhone writes a birthday without a year as 1604 with a flag.
        person.bday = f"1604-{birthday:%m-%d}" if rng.random() < 0.3 else birthday.isoformat()
    if rng.random() < 0.2 or person.special.startswith("couple"):
        town, area, country = rng.choice(TOWNS)
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        postcode = f"{area}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        person.address = (f"{rng.randint(1, 120)} {rng.choice(STREETS)}", town, postcode, country)
    if rng.random() < 0.06:
        person.note = rng.choice(NOTES)


def describe_elsewhere(person: Person, rng: Random, behaviour: TierBehaviour) -> None:
    """How LinkedIn and the calendar write them."""
    first = person.nickname if person.nickname and rng.random() < 0.1 else person.given
    if person.middle and rng.random() < 0.3:
        first = f"{first} {person.middle}."
    person.linkedin_first = first
    if rng.random() < behaviour.email_visible:
        person.linkedin_email = person.personal_email if rng.random() < 0.6 else person.work_email
    person.calendar_middle = bool(person.middle) and rng.random() < 0.4
    person.calendar_no_cn = rng.random() < 0.08


def link_couple(roster: dict[int, Person], seed: int) -> None:
    """The couple share a home phone and an address: the same household, two people."""
    couple = [p for p in roster.values() if p.special in ("couple_a", "couple_b")]
    if len(couple) == 2:
        first, second = couple
        shared = phone_for(first.index, seed)[1] or first.phone
        first.home_phone = second.home_phone = shared
        second.address = first.address


# --- Phone book -------------------------------------------------------------------------


def vcard_lines(person: Person, uid: str, rng: Random, old_card: bool) -> list[str]:
    given, family = person.vcard_given, person.vcard_family
    company = person.old_company if person.old_company and (old_card or rng.random() < 0.7) else person.company
    title = person.old_title if company == person.old_company else person.title
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.6.1//EN",
        f"N:{escape_text(family)};{escape_text(given)};{person.middle if not old_card else ''};;",
        f"FN:{escape_text(given + ' ' + family)}",
        f"ORG:{escape_text(company.name)};",
        f"TITLE:{escape_text(title)}",
    ]
    if not old_card:
        lines.append(f"EMAIL;TYPE=INTERNET;TYPE=HOME;TYPE=pref:{person.personal_email}")
    work = person.old_work_email if old_card and person.old_work_email else person.vcard_work_email
    if old_card and not work:
        work = person.work_email
    if work:
        lines.append(f"EMAIL;TYPE=INTERNET;TYPE=WORK:{work}")
    if person.phone and not old_card:
        kind = "CELL" if person.phone_is_mobile else "HOME"
        lines.append(f"TEL;TYPE={kind};TYPE=VOICE;TYPE=pref:{local_phone(person.phone, rng)}")
    if person.home_phone and person.home_phone != person.phone:
        lines.append(f"TEL;TYPE=HOME;TYPE=VOICE:{local_phone(person.home_phone, rng)}")
    item = 0
    if person.address and not old_card:
        item += 1
        street, town, postcode, country = (escape_text(part) for part in person.address)
        lines.append(f"item{item}.ADR;TYPE=HOME;TYPE=pref:;;{street};{town};;{postcode};{country}")
        lines.append(f"item{item}.X-ABADR:gb")
    if person.vcard_linkedin:
        item += 1
        lines.append(f"item{item}.URL;TYPE=pref:{person.linkedin_url}")
        lines.append(f"item{item}.X-ABLabel:LinkedIn")
    if person.bday and not old_card:
        if person.bday.startswith("1604-"):
            lines.append(f"BDAY;X-APPLE-OMIT-YEAR=1604:{person.bday}")
        else:
            lines.append(f"BDAY;VALUE=date:{person.bday}")
    if person.note and not old_card:
        lines.append(f"NOTE:{escape_text(person.note)}")
    lines.append(f"UID:{uid}")
    revised = person.vcard_rev - timedelta(days=400) if old_card else person.vcard_rev
    lines.append(f"REV:{revised:%Y-%m-%dT%H:%M:%SZ}")
    lines.append("END:VCARD")
    return lines


def owner_vcard_lines() -> list[str]:
    given, family = OWNER_NAME
    return [
        "BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iPhone OS 17.6.1//EN",
        f"N:{family};{given};;;", f"FN:{given} {family}", f"ORG:{OWNER_COMPANY};",
        f"TITLE:{OWNER_TITLE}",
        f"EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=pref:{OWNER_EMAILS[0]}",
        f"EMAIL;TYPE=INTERNET;TYPE=HOME:{OWNER_EMAILS[1]}",
        f"TEL;TYPE=CELL;TYPE=VOICE;TYPE=pref:{OWNER_MOBILE}",
        f"item1.URL;TYPE=pref:{LINKEDIN_PREFIX}{OWNER_SLUG}", "item1.X-ABLabel:LinkedIn",
        f"UID:{OWNER_UID}", "REV:2024-01-05T09:30:00Z", "END:VCARD",
    ]


def write_card(handle, lines: list[str]) -> None:
    handle.write("".join(fold_line(line) + "\r\n" for line in lines))


# --- LinkedIn ---------------------------------------------------------------------------


def conversation_id(rng: Random) -> str:
    token = base64.b64encode(str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()).decode()
    return f"2-{token}"


def owner_display() -> str:
    return " ".join(OWNER_NAME)


def message_rows(person: Person, plan: Plan) -> list[list[str]]:
    """A 1:1 conversation with the owner, newest first as the export lists it."""
    if not person.slug or person.connected is None or person.trajectory == "clockwork":
        return []  # a mentor is met, not written to: their rhythm is the quarterly meeting's
    behaviour = DORMANT_BEHAVIOUR if person.dormant else TIER_BEHAVIOUR[person.tier]
    rng = plan.rng("messages", person.index)
    count = rng.randint(*behaviour.messages)
    if count == 0:
        return []
    start = max(person.window[0], person.connected)
    end = person.window[1]
    if start > end:
        return []
    thread = conversation_id(rng)
    moments = sorted((random_moment(rng, start, end) for _ in range(count)), reverse=True)
    rows = []
    name = f"{person.linkedin_first} {person.family}"
    owner_url = LINKEDIN_PREFIX + OWNER_SLUG
    for moment in moments:
        text = rng.choice(MESSAGE_TEXTS)
        if rng.random() < 0.5:
            row = [thread, "", owner_display(), owner_url, name, person.linkedin_url]
        else:
            row = [thread, "", name, person.linkedin_url, owner_display(), owner_url]
        rows.append(row + [utc_stamp(moment), "", text, "INBOX", "No", "No"])
    return rows


def group_message_rows(roster: list[Person], plan: Plan) -> list[list[str]]:
    """A few group chats among the closest ties: several comma-joined recipients a message."""
    rng = plan.rng("group-messages")
    # A fader left the group chats with the move; a mentor was never in them.
    members = [p for p in roster if p.slug and p.connected and not p.dormant and p.tier in ("closest", "close")
               and p.trajectory not in ("fading", "clockwork")]
    rows: list[list[str]] = []
    owner_url = LINKEDIN_PREFIX + OWNER_SLUG
    for title in ("Conference crew", "Data leaders dinner", "Book club"):
        if len(members) < 3:
            break
        group = rng.sample(members, min(len(members), rng.randint(3, 4)))
        thread = conversation_id(rng)
        start = max(p.connected for p in group)
        for _ in range(rng.randint(3, 7)):
            moment = random_moment(rng, max(start, plan.as_of - timedelta(days=400)), plan.as_of)
            sender = rng.choice([None, *group])
            everyone = [(owner_display(), owner_url)] + [
                (f"{p.linkedin_first} {p.family}", p.linkedin_url) for p in group
            ]
            sender_pair = everyone[0] if sender is None else (f"{sender.linkedin_first} {sender.family}", sender.linkedin_url)
            recipients = [pair for pair in everyone if pair != sender_pair]
            rows.append([
                thread, title, sender_pair[0], sender_pair[1],
                ", ".join(name for name, _ in recipients), ",".join(url for _, url in recipients),
                utc_stamp(moment), "", rng.choice(MESSAGE_TEXTS), "INBOX", "No", "No",
            ])
    rows.sort(key=lambda row: (row[0], row[6]), reverse=True)
    return rows


def invitation_row(person: Person, plan: Plan) -> list[str] | None:
    """Recent connections keep the invitation that made them; pending ones are still open."""
    rng = plan.rng("invitation", person.index)
    owner_url = LINKEDIN_PREFIX + OWNER_SLUG
    name = f"{person.linkedin_first} {person.family}"
    if person.pending:
        sent = random_moment(rng, plan.as_of - timedelta(days=120), plan.as_of)
        incoming = rng.random() < 0.8
    elif person.connected and (plan.as_of - person.connected).days <= 365:
        sent = random_moment(rng, person.connected - timedelta(days=5), person.connected)
        incoming = rng.random() < 0.5
    else:
        return None
    message = rng.choice(INVITATION_TEXTS) if rng.random() < 0.25 else ""
    if incoming:
        return [name, owner_display(), us_short(sent, False), message, "INCOMING", person.linkedin_url, owner_url]
    return [owner_display(), name, us_short(sent, False), message, "OUTGOING", owner_url, person.linkedin_url]


ENDORSEMENT_CHANCE = {"closest": 0.6, "close": 0.5, "active": 0.4, "known": 0.25, ACQUAINTANCE: 0.0}


def endorsement_rows(person: Person, plan: Plan) -> tuple[list[list[str]], list[list[str]]]:
    if not person.slug or person.connected is None:
        return [], []
    rng = plan.rng("endorsement", person.index)
    chance = 0.5 if person.dormant else ENDORSEMENT_CHANCE[person.tier]
    received, given = [], []
    public_url = "www.linkedin.com/in/" + person.slug
    start = max(person.connected, person.window[0])
    if start > person.window[1]:
        return [], []
    if rng.random() < chance:
        for skill in rng.sample(SKILLS, rng.randint(1, 3)):
            moment = random_moment(rng, start, person.window[1])
            received.append([utc_stamp(moment).replace("-", "/"), skill, person.linkedin_first.split(" ")[0], person.family, public_url, "ACCEPTED"])
    if rng.random() < chance / 2:
        moment = random_moment(rng, start, person.window[1])
        given.append([utc_stamp(moment).replace("-", "/"), rng.choice(SKILLS), person.linkedin_first.split(" ")[0], person.family, public_url, "ACCEPTED"])
    return received, given


def recommendation_rows(roster: list[Person], plan: Plan) -> tuple[list[list[str]], list[list[str]], list[Person]]:
    """Received and given recommendations, and who wrote or got them (they carry no URL)."""
    rng = plan.rng("recommendations")
    strong = [p for p in roster if p.slug and p.connected and not p.dormant and p.tier in ("closest", "close")]
    past = [p for p in roster if p.slug and p.connected and p.dormant]
    givers = rng.sample(strong, min(3, len(strong))) + rng.sample(past, min(1, len(past)))
    received = []
    for person in givers:
        moment = random_moment(rng, max(person.connected, person.window[0]), person.window[1])
        company = person.old_company if person.dormant and person.old_company else person.company
        received.append([
            person.linkedin_first.split(" ")[0], person.family, company.name, person.title,
            rng.choice(RECOMMENDATION_TEXTS), us_short(moment, True), "VISIBLE",
        ])
    given = []
    recipients = rng.sample(strong, min(2, len(strong)))
    for person in recipients:
        moment = random_moment(rng, max(person.connected, person.window[0]), person.window[1])
        given.append([
            person.linkedin_first.split(" ")[0], person.family, person.company.name, person.title,
            rng.choice(RECOMMENDATION_GIVEN_TEXTS).format(name=person.given), us_short(moment, True), "VISIBLE",
        ])
    return received, given, givers + recipients


def name_key(first: str, last: str) -> str:
    """The key the warehouse gives a LinkedIn member known only by name (no profile URL):
    `name:` and the name lower-cased without accents, as the staging models write it."""
    text = unicodedata.normalize("NFKD", f"{first} {last}".strip().lower())
    return "name:" + "".join(ch for ch in text if not unicodedata.combining(ch))


# --- Calendar ---------------------------------------------------------------------------


@dataclass
class Attendee:
    email: str
    name: str | None
    partstat: str = "ACCEPTED"
    role: str = "REQ-PARTICIPANT"
    cutype: str = "INDIVIDUAL"
    truth: tuple[str, ...] | None = None  # Person.truth

    def line(self, organizer_email: str) -> str:
        params = [f"CUTYPE={self.cutype}", f"ROLE={self.role}", f"PARTSTAT={self.partstat}"]
        if self.email.lower() != organizer_email.lower() and self.cutype == "INDIVIDUAL":
            params.append("RSVP=TRUE")
        params.append(f"CN={param_value(self.name or self.email)}")
        if self.cutype == "INDIVIDUAL":
            params.append("X-NUM-GUESTS=0")
        return f"ATTENDEE;{';'.join(params)}:mailto:{self.email}"


@dataclass
class Event:
    uid: str
    start: datetime
    minutes: int
    summary: str
    organizer: Attendee
    attendees: list[Attendee]
    created: datetime
    location: str = ""
    description: str = ""
    rrule: str | None = None
    exdates: list[datetime] = field(default_factory=list)
    recurrence_id: datetime | None = None
    status: str = "CONFIRMED"
    sequence: int = 0
    created_cap: datetime = datetime.max

    def lines(self, stamp: str) -> list[str]:
        lines = [
            "BEGIN:VEVENT",
            f"DTSTART;TZID={CALENDAR_TZID}:{ics_local(self.start)}",
            f"DTEND;TZID={CALENDAR_TZID}:{ics_local(self.start + timedelta(minutes=self.minutes))}",
        ]
        if self.rrule:
            lines.append(f"RRULE:{self.rrule}")
        for excluded in self.exdates:
            lines.append(f"EXDATE;TZID={CALENDAR_TZID}:{ics_local(excluded)}")
        lines.append(f"DTSTAMP:{stamp}")
        organizer = self.organizer
        lines.append(f"ORGANIZER;CN={param_value(organizer.name or organizer.email)}:mailto:{organizer.email}")
        lines.append(f"UID:{self.uid}")
        if self.recurrence_id:
            lines.append(f"RECURRENCE-ID;TZID={CALENDAR_TZID}:{ics_local(self.recurrence_id)}")
        lines.extend(attendee.line(organizer.email) for attendee in self.attendees)
        modified = min(self.created + timedelta(days=self.sequence * 3), self.created_cap)
        lines += [
            f"CREATED:{ics_utc(self.created)}",
            f"DESCRIPTION:{escape_text(self.description)}",
            f"LAST-MODIFIED:{ics_utc(modified)}",
            f"LOCATION:{escape_text(self.location)}",
            f"SEQUENCE:{self.sequence}",
            f"STATUS:{self.status}",
            f"SUMMARY:{escape_text(self.summary)}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
        return lines


VTIMEZONE_LONDON = [
    "BEGIN:VTIMEZONE", f"TZID:{CALENDAR_TZID}", f"X-LIC-LOCATION:{CALENDAR_TZID}",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "TZNAME:BST",
    "DTSTART:19700329T010000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "TZNAME:GMT",
    "DTSTART:19701025T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
]
ROOMS = (
    ("London-3-Thames (8)", 0x1A2B), ("London-4-Severn (4)", 0x3C4D),
    ("London-G-Auditorium (120)", 0x5E6F),
)
# Judgement values for how often the owner meets each layer; they only need to fall steeply.
GROUP_MEETINGS = 70
GROUP_WEIGHT = {"closest": 1.0, "close": 2.0, "active": 4.0, "known": 0.4, ACQUAINTANCE: 0.0}
KNOWN_MEETING_SHARE = 0.2
UPCOMING_MEETINGS = 8
# The monthly all-hands invites about this many people, acquaintances included.
ALL_HANDS_SIZE = 40
DECLINED_INVITATIONS = 4


class CalendarBuilder:
    """The owner's work calendar, from the Dunbar 150 and the acquaintances at gatherings;
    also which person each address written belongs to (`truth`)."""

    def __init__(self, plan: Plan, roster: list[Person], gathering_people: list[Person],
                 met_acquaintances: list[Person] = ()):
        self.plan = plan
        self.gathering_people = gathering_people
        self.met_acquaintances = met_acquaintances
        self.rng = plan.rng("calendar")
        self.roster = roster
        self.events: list[Event] = []
        self.truth: dict[str, tuple[str, ...]] = {}
        self.as_of = plan.as_of

    # who is invited, and how each calendar writes them
    def owner(self, outlook: bool = False, partstat: str = "ACCEPTED") -> Attendee:
        given, family = OWNER_NAME
        name = f"{family}, {given}" if outlook else f"{given} {family}"
        return Attendee(OWNER_EMAILS[0], name, partstat, truth=OWNER_TRUTH)

    def person(self, person: Person, day: date, personal: bool = False, outlook: bool = False,
               partstat: str = "ACCEPTED", role: str = "REQ-PARTICIPANT") -> Attendee:
        email = person.personal_email if personal else person.email_on(day)
        name = None if person.calendar_no_cn else person.display(outlook)
        if outlook:
            # Outlook writes the address as the directory holds it: capitalised.
            local, domain = email.split("@")
            email = re.sub(r"[a-z]+", lambda word: word.group().capitalize(), local) + "@" + domain
        return Attendee(email, name, partstat, role, truth=person.truth)

    def room(self, which: int) -> Attendee:
        name, code = ROOMS[which]
        email = f"c_{code:04x}{self.plan.seed:04x}roomsgb@{RESOURCE_DOMAIN}"
        # A room is not a person: it has no truth row, and the calendar connector skips it.
        return Attendee(email, name, "ACCEPTED", "NON-PARTICIPANT", "RESOURCE")

    def uid(self, outlook: bool = False) -> str:
        if outlook:
            return "040000008200E00074C5B7101A82E00800000000" + f"{self.rng.getrandbits(128):032X}"
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(26)) + "@calendar.example.com"

    def created_before(self, start: datetime) -> datetime:
        created = start - timedelta(days=self.rng.randint(2, 30), hours=self.rng.randint(0, 8))
        latest = datetime.combine(self.as_of, time(7, 0))
        return min(created, latest - timedelta(days=self.rng.randint(0, 3)))

    def add(self, event: Event) -> Event:
        event.created_cap = datetime.combine(self.as_of, time(7, 30))
        self.events.append(event)
        return event

    def meeting(self, start: datetime, minutes: int, summary: str, organizer: Attendee,
                attendees: list[Attendee], outlook: bool = False, **extra) -> Event:
        return self.add(Event(self.uid(outlook), start, minutes, summary, organizer, attendees,
                              self.created_before(start), **extra))

    def build(self) -> list[Event]:
        # Ties with a planned trajectory get only the meetings their trajectory gives them.
        current = [p for p in self.roster if not p.dormant and not p.trajectory]
        by_tier = {tier: [p for p in current if p.tier == tier] for tier in TIER_BEHAVIOUR}
        self.weekly_one_to_one(by_tier["closest"])
        self.fortnightly_one_to_ones(by_tier["closest"])
        self.close_meetings(by_tier["close"])
        self.group_meetings(current)
        self.known_meetings(by_tier["known"])
        self.company_gatherings(current)
        for person in self.roster:
            if person.dormant:
                self.dormant_history(person)
            elif person.trajectory:
                {"fading": self.fading_history, "rising": self.rising_history,
                 "clockwork": self.clockwork_history}[person.trajectory](person)
        self.upcoming(current)
        self.acquaintance_meetings()
        for event in self.events:
            for attendee in [event.organizer, *event.attendees]:
                if attendee.truth:
                    key = attendee.email.lower()
                    known = self.truth.setdefault(key, attendee.truth)
                    if known[0] != attendee.truth[0]:
                        raise RuntimeError("generator bug: one calendar address for two people")
        self.events.sort(key=lambda e: (e.start, e.uid))
        return self.events

    def weekly_one_to_one(self, closest: list[Person]) -> None:
        colleague = next((p for p in closest if p.colleague), None)
        if colleague is None:
            return
        first = self.as_of - timedelta(weeks=70)
        first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
        start = datetime.combine(first, time(10, 0))
        occurrences = [start + timedelta(weeks=week) for week in range(70)]
        christmas = next((o for o in occurrences if o.month == 12 and o.day >= 20), occurrences[30])
        moved = occurrences[20]
        owner = self.owner()
        series = self.meeting(
            start, 30, f"{colleague.given} / {OWNER_NAME[0]} 1:1", owner,
            [owner, self.person(colleague, first)], rrule="FREQ=WEEKLY;BYDAY=TU",
            exdates=[christmas], description="Weekly 1:1. Agenda in the shared doc.",
        )
        self.add(Event(series.uid, moved + timedelta(days=1), 30, series.summary, owner,
                       [owner, self.person(colleague, moved.date())], series.created,
                       description="Moved: offsite on Tuesday.", recurrence_id=moved, sequence=1))

    def fortnightly_one_to_ones(self, closest: list[Person]) -> None:
        rng = self.rng
        for person in closest:
            if person.special == "closest_colleague":
                continue
            weeks_back = rng.randint(40, 90)
            first = max(person.window[0], self.as_of - timedelta(weeks=weeks_back))
            weekday = rng.randint(0, 4)
            first += timedelta(days=(weekday - first.weekday()) % 7)
            if person.colleague:
                start = datetime.combine(first, time(rng.choice((9, 11, 14, 15)), 0))
                summary, location, personal = f"{OWNER_NAME[0]} <> {person.given}", "", False
            else:
                start = datetime.combine(first, time(12, 30))
                summary, location, personal = f"Coffee with {person.given}", "Monmouth Coffee, Borough", True
            owner = self.owner()
            self.meeting(start, 45 if personal else 30, summary, owner,
                         [owner, self.person(person, first, personal=personal)],
                         rrule=f"FREQ=WEEKLY;INTERVAL=2;BYDAY={WEEKDAYS[weekday]}", location=location)
            for _ in range(rng.randint(2, 4)):
                moment = working_slot(rng, person.window[0], self.as_of)
                self.meeting(moment.replace(hour=19, minute=0), 150, f"Dinner with {person.given}", owner,
                             [owner, self.person(person, moment.date(), personal=True)],
                             location="The Anchor, Bankside")

    def close_meetings(self, close: list[Person]) -> None:
        rng = self.rng
        cancelled = False
        for person in close:
            if person.colleague and rng.random() < 0.5:
                first = max(person.window[0], self.as_of - timedelta(days=rng.randint(240, 600)))
                first += timedelta(days=(2 - first.weekday()) % 7)
                start = datetime.combine(first, time(rng.choice((10, 14, 16)), 0))
                owner = self.owner()
                self.meeting(start, 30, f"Monthly catch-up: {person.given} & {OWNER_NAME[0]}", owner,
                             [owner, self.person(person, first)], rrule="FREQ=MONTHLY;BYDAY=2WE")
                continue
            outlook = person.company.uses_outlook and not person.colleague
            day = max(person.window[0], self.as_of - timedelta(days=540))
            while True:
                day += timedelta(days=rng.randint(25, 50))
                if day > self.as_of:
                    break
                moment = working_slot(rng, day, day + timedelta(days=4))
                theirs = outlook and rng.random() < 0.6
                them = self.person(person, moment.date(), outlook=theirs)
                owner = self.owner(outlook=theirs)
                organizer = them if theirs else owner
                event = self.meeting(moment, 60, rng.choice(("Catch-up", "Roadmap chat", "Coffee & ideas")),
                                     organizer, [organizer, owner if theirs else them], outlook=theirs)
                if not cancelled and moment.date() > self.as_of - timedelta(days=120):
                    event.status, event.sequence = "CANCELLED", 2
                    cancelled = True

    def group_meetings(self, current: list[Person]) -> None:
        rng = self.rng
        pool = [p for p in current if GROUP_WEIGHT[p.tier] > 0]
        if len(pool) < 3:
            return
        weights = [GROUP_WEIGHT[p.tier] for p in pool]
        topics = ("Platform review", "Data quality sync", "Quarterly planning", "Architecture forum",
                  "Hiring panel debrief", "Incident retro", "Roadmap workshop")
        for _ in range(GROUP_MEETINGS):
            size = rng.randint(3, 7)
            chosen: list[Person] = []
            while len(chosen) < min(size, len(pool)):
                candidate = rng.choices(pool, weights)[0]
                if candidate not in chosen:
                    chosen.append(candidate)
            moment = working_slot(rng, self.as_of - timedelta(days=HISTORY_DAYS - 60), self.as_of)
            chosen = [p for p in chosen if p.window[0] <= moment.date()] or chosen[:1]
            owner = self.owner()
            people = [self.person(p, moment.date(), partstat=rng.choice(("ACCEPTED",) * 8 + ("TENTATIVE", "NEEDS-ACTION"))) for p in chosen]
            attendees = [owner, *people]
            all_colleagues = all(p.colleague for p in chosen)
            if all_colleagues:
                attendees.append(self.room(rng.randint(0, 1)))
            organizer = owner
            if rng.random() < 0.5:
                organizer = people[0]
                organizer.partstat = "ACCEPTED"
            self.meeting(moment, rng.choice((30, 45, 60)), rng.choice(topics), organizer, attendees,
                         location=ROOMS[0][0] if all_colleagues else "meet.example.com/abc-defg-hij")

    def known_meetings(self, known: list[Person]) -> None:
        rng = self.rng
        declined = 0
        for person in known:
            if rng.random() >= KNOWN_MEETING_SHARE:
                continue
            moment = working_slot(rng, person.window[0], self.as_of)
            theirs = rng.random() < 0.6
            outlook = theirs and person.company.uses_outlook and not person.colleague
            them = self.person(person, moment.date(), outlook=outlook)
            partstat = "ACCEPTED"
            if theirs and declined < DECLINED_INVITATIONS:
                partstat, declined = "DECLINED", declined + 1
            owner = self.owner(outlook=outlook, partstat=partstat)
            organizer = them if theirs else owner
            self.meeting(moment, 30, rng.choice(("Intro call", "Quick chat", "Partnership call")),
                         organizer, [organizer, owner if theirs else them], outlook=outlook)

    def company_gatherings(self, current: list[Person]) -> None:
        rng = self.rng
        colleagues = [p for p in current if p.colleague]
        leader = next((p for p in colleagues if p.tier == "known"), None)
        acquaintances: dict[int, list[Person]] = {0: [], 1: [], 2: []}
        for person in self.gathering_people:
            acquaintances[self.plan.company_gatherings[person.index]].append(person)

        first = (self.as_of - timedelta(days=600)).replace(day=1)
        first += timedelta(days=(3 - first.weekday()) % 7)  # the first Thursday
        start = datetime.combine(first, time(16, 0))
        regulars = [p for p in colleagues if p is not leader]
        seats = ALL_HANDS_SIZE - 2 - len(acquaintances[0])
        regulars = rng.sample(regulars, max(0, min(len(regulars), seats)))
        organizer = self.person(leader, first) if leader else self.owner()
        attendees = [organizer] if leader else []
        attendees.append(self.owner(partstat="ACCEPTED"))
        for person in regulars + acquaintances[0]:
            status = rng.choice(("ACCEPTED",) * 6 + ("DECLINED", "TENTATIVE", "NEEDS-ACTION"))
            attendees.append(self.person(person, max(first, person.window[0]), partstat=status,
                                         role="OPT-PARTICIPANT" if rng.random() < 0.2 else "REQ-PARTICIPANT"))
        attendees.append(self.room(2))
        self.meeting(start, 60, f"{OWNER_COMPANY} All Hands", organizer, attendees,
                     rrule="FREQ=MONTHLY;BYDAY=1TH", location=ROOMS[2][0],
                     description="Monthly all hands: company update and Q&A.")

        for gathering, (summary, days_back) in ((1, ("Company offsite", 420)), (2, ("Winter town hall", 60))):
            day = self.as_of - timedelta(days=days_back)
            moment = datetime.combine(day - timedelta(days=day.weekday()), time(10, 0))
            guests = rng.sample(colleagues, min(len(colleagues), 8)) + acquaintances[gathering]
            attendees = [organizer if leader else self.owner()]
            if leader:
                attendees.append(self.owner())
            attendees += [self.person(p, day) for p in guests if p is not leader]
            self.meeting(moment, 240 if gathering == 1 else 90, summary, organizer, attendees,
                         location="Riverside Hall" if gathering == 1 else ROOMS[2][0])

    def dormant_history(self, person: Person) -> None:
        """Rich history that stops well over a year ago: a series and a few one-offs."""
        rng = self.rng
        start_day, end_day = person.window
        first = start_day + timedelta(days=(rng.randint(0, 4) - start_day.weekday()) % 7)
        start = datetime.combine(first, time(rng.choice((9, 11, 15)), 0))
        until = datetime.combine(end_day, time(23, 59, 59))
        owner = self.owner()
        them = self.person(person, first)
        frequency = "FREQ=WEEKLY;INTERVAL=2" if rng.random() < 0.4 else "FREQ=MONTHLY"
        # The UNTIL is local time like DTSTART converted to UTC (a day's margin is harmless).
        self.meeting(start, 30, f"{person.given} / {OWNER_NAME[0]}", owner, [owner, them],
                     rrule=f"{frequency};UNTIL={ics_utc(until)}")
        for _ in range(rng.randint(3, 6)):
            moment = working_slot(rng, start_day, end_day)
            self.meeting(moment, 60, rng.choice(("Lunch", "Project review", "Catch-up")), owner,
                         [owner, self.person(person, moment.date(), personal=rng.random() < 0.3)])

    def fading_history(self, person: Person) -> None:
        """A close colleague who moved away: a weekly (closest) or fortnightly 1:1 until the
        move and a few lunches, then video calls further and further apart."""
        rng = self.rng
        start_day, moved_on = person.window
        first = start_day + timedelta(days=(rng.randint(0, 4) - start_day.weekday()) % 7)
        owner = self.owner()
        interval = 1 if person.tier == "closest" else 2
        until = datetime.combine(moved_on, time(23, 59, 59))
        self.meeting(datetime.combine(first, time(rng.choice((9, 11, 14)), 0)), 30,
                     f"{person.given} / {OWNER_NAME[0]} 1:1", owner, [owner, self.person(person, first)],
                     rrule=f"FREQ=WEEKLY;INTERVAL={interval};UNTIL={ics_utc(until)}")
        for _ in range(rng.randint(2, 4)):
            moment = working_slot(rng, start_day, moved_on)
            self.meeting(moment.replace(hour=12, minute=30), 60, "Lunch", owner,
                         [owner, self.person(person, moment.date())], location="Borough Market")
        gap, day = float(FADE_FIRST_GAP_DAYS), moved_on
        while day + timedelta(days=round(gap)) <= self.as_of - timedelta(days=FADE_LAST_CALL_DAYS):
            day += timedelta(days=round(gap))
            gap *= FADE_GAP_GROWTH
            moment = working_slot(rng, day, day + timedelta(days=3))
            self.meeting(moment, 30, f"Call with {person.given}", owner, [owner, self.person(person, day)],
                         location="meet.example.com/xyz-abcd-efg")

    def rising_history(self, person: Person) -> None:
        """An acquaintance who became a close collaborator: an intro call, a chat, then a
        weekly working session that goes on."""
        rng = self.rng
        owner = self.owner()
        moment = working_slot(rng, person.met, person.met + timedelta(days=3))
        self.meeting(moment, 30, "Intro call", owner, [owner, self.person(person, moment.date())])
        if person.ramp_from - person.met > timedelta(days=60):
            moment = working_slot(rng, person.met + timedelta(days=30), person.ramp_from - timedelta(days=14))
            self.meeting(moment, 30, "Quick chat", owner, [owner, self.person(person, moment.date())])
        first = person.ramp_from + timedelta(days=(rng.randint(0, 4) - person.ramp_from.weekday()) % 7)
        self.meeting(datetime.combine(first, time(rng.choice((10, 14, 15)), 0)), 60,
                     f"Working session: {person.given} & {OWNER_NAME[0]}", owner, [owner, self.person(person, first)],
                     rrule=f"FREQ=WEEKLY;BYDAY={WEEKDAYS[first.weekday()]}")

    def clockwork_history(self, person: Person) -> None:
        """A mentor met on the same day every quarter; an overdue one's series has ended."""
        last = person.last_planned
        first = add_months(last, -CLOCKWORK_MONTHS * (CLOCKWORK_QUARTERS - 1))
        rrule = f"FREQ=MONTHLY;INTERVAL={CLOCKWORK_MONTHS}"
        if person.overdue:
            rrule += f";UNTIL={ics_utc(datetime.combine(last, time(23, 59, 59)))}"
        owner = self.owner()
        self.meeting(datetime.combine(first, time(12, 30)), 60, f"Mentoring lunch with {person.given}", owner,
                     [owner, self.person(person, first, personal=True)], rrule=rrule, location="The Anchor, Bankside")

    def acquaintance_meetings(self) -> None:
        """One or two one-off meetings with each met acquaintance, now and then with a colleague
        of theirs; last, so the Dunbar 150's events are drawn exactly as without them."""
        rng = self.rng
        met = self.met_acquaintances
        for position, person in enumerate(met):
            for _ in range(rng.randint(1, 2)):
                moment = working_slot(rng, person.window[0], self.as_of)
                owner = self.owner()
                attendees = [owner, self.person(person, moment.date())]
                if len(met) > 1 and rng.random() < 0.25:
                    other = met[(position + rng.randint(1, len(met) - 1)) % len(met)]
                    attendees.append(self.person(other, moment.date()))
                self.meeting(moment, rng.choice((30, 45, 60)), rng.choice(ACQUAINTANCE_MEETINGS), owner, attendees)

    def upcoming(self, current: list[Person]) -> None:
        rng = self.rng
        pool = [p for p in current if p.tier in ("closest", "close", "active")]
        for _ in range(min(UPCOMING_MEETINGS, len(pool))):
            person = rng.choice(pool)
            moment = working_slot(rng, self.as_of + timedelta(days=1), self.as_of + timedelta(days=UPCOMING_DAYS))
            owner = self.owner(partstat=rng.choice(("ACCEPTED", "NEEDS-ACTION")))
            them = self.person(person, self.as_of)
            self.meeting(moment, 60, rng.choice(("Planning 2027", "Catch-up", "Talk rehearsal")),
                         them, [them, owner])


def calendar_text(events: list[Event], as_of: date) -> str:
    stamp = f"{as_of:%Y%m%d}T080000Z"
    lines = [
        "BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{OWNER_EMAILS[0]}",
        f"X-WR-TIMEZONE:{CALENDAR_TZID}", *VTIMEZONE_LONDON,
    ]
    for event in events:
        lines.extend(event.lines(stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


# --- Referrals --------------------------------------------------------------------------

# How many referrals (received) each layer sends and how valuable: tuned so that about 80% of
# the value received comes from the top 20% of referrers, as the article observes.
REFERRALS_RECEIVED = {  # (how many, value range, chance of any)
    "closest": ((6, 10), (3, 5), 1.0),
    "close": ((1, 1), (1, 3), 0.5),
    "active": ((1, 1), (1, 2), 0.3),
    "known": ((1, 1), (1, 1), 0.08),
}
DORMANT_REFERRALS = ((1, 1), (1, 3), 0.4)
REFERRALS_GIVEN = {"closest": ((1, 3), 0.9), "close": ((1, 1), 0.3), "active": ((1, 1), 0.05)}


def referral_rows(roster: list[Person], plan: Plan) -> list[list[str]]:
    return [row for _, row in referral_entries(roster, plan)]


def referral_entries(roster: list[Person], plan: Plan) -> list[tuple[Person, list[str]]]:
    """Each logged referral with the person it truly concerns (the log writes them loosely)."""
    rng = plan.rng("referrals")
    rows: list[tuple[Person, list[str]]] = []

    def person_as_written(person: Person) -> str:
        ambiguous = person.special.startswith("michael_chen")
        choice = rng.random()
        if person.slug and choice < 0.2:
            return person.linkedin_url
        if choice < 0.5 or ambiguous:
            return rng.choice([person.personal_email, person.email_on(plan.as_of)])
        return f"{person.nickname or person.given} {person.family}" if rng.random() < 0.4 else person.full_name

    for person in roster:
        if person.trajectory == "clockwork":
            continue
        spec = DORMANT_REFERRALS if person.dormant else REFERRALS_RECEIVED.get(person.tier)
        if spec and rng.random() < spec[2]:
            for _ in range(rng.randint(*spec[0])):
                kind = rng.choice(REFERRAL_KINDS)
                day = random_day(rng, person.window[0], person.window[1])
                rows.append((person, [day.isoformat(), person_as_written(person), "received", kind,
                                      str(rng.randint(*spec[1])), rng.choice(REFERRAL_NOTES[kind])]))
        given = None if person.dormant else REFERRALS_GIVEN.get(person.tier)
        if given and rng.random() < given[1]:
            for _ in range(rng.randint(*given[0])):
                kind = rng.choice(("intro", "job_offer", "speaking", "mentorship"))
                day = random_day(rng, person.window[0], person.window[1])
                rows.append((person, [day.isoformat(), person_as_written(person), "given", kind,
                                      str(rng.randint(1, 4)), rng.choice(REFERRAL_NOTES[kind])]))
    rows.sort(key=lambda entry: (entry[1][0], entry[1][1], entry[0].index))
    return rows


# --- Writing it all ---------------------------------------------------------------------

LINKEDIN_STREAMED = {
    "Connections.csv": CONNECTIONS_HEADER, "messages.csv": MESSAGES_HEADER,
    "Invitations.csv": INVITATIONS_HEADER,
    "Endorsement_Received_Info.csv": ENDORSEMENTS_RECEIVED_HEADER,
    "Endorsement_Given_Info.csv": ENDORSEMENTS_GIVEN_HEADER,
}
ARCHIVE_MEMBERS = (
    "Connections.csv", "Endorsement_Given_Info.csv", "Endorsement_Received_Info.csv",
    "Invitations.csv", "messages.csv", "Recommendations_Given.csv", "Recommendations_Received.csv",
)


# --- Mail: a Google Takeout-shaped mbox -------------------------------------------------------
# What Takeout writes: an mbox named for the label set exported, messages with Gmail's
# X-GM-THRID and X-Gmail-Labels before the usual headers, a From_ line of "<id>@xxx <date>".
TAKEOUT_MBOX = "Takeout/Mail/All mail Including Spam and Trash.mbox"
# Mail with each tier over the observed window, both ways (a close colleague writes most days;
# research on mail logs finds the strongest ties exchange an order of magnitude more than the rest).
MAIL_PER_TIER = {"closest": (25, 50), "close": (8, 20), "active": (2, 6), "known": (0, 2), "acquaintance": (0, 0)}
MAIL_DORMANT = (6, 15)  # a dormant tie wrote often, years ago
MAIL_BULK_SENDERS = (("Weekly Deals", "deals@news.example.net", "newsletter"),
                     ("Product Updates", "updates@mailer.example.com", "newsletter"),
                     ("Data Engineers", "data-eng@lists.example.org", "list"),
                     ("Calendar", "calendar-notification@example.com", "noreply"),
                     ("Billing", "no-reply@billing.example.net", "noreply"))
_ATTACHMENT_BLOCK = base64.encodebytes(bytes(Random(1).getrandbits(8) for _ in range(48 * 1024)))


def mail_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def mail_address(name: str | None, email: str, style: int = 0) -> str:
    """An address as clients write it: quoted, bare, encoded (non-ASCII names), or Outlook's
    unquoted `Family, Given` when `style` is 1."""
    if not name:
        return email
    if not name.isascii():
        encoded = "".join(f"={byte:02X}" if byte > 126 or chr(byte) in " =?_" else chr(byte) for byte in name.encode("utf-8"))
        return f"=?UTF-8?Q?{encoded.replace('=20', '_')}?= <{email}>"
    if style == 1 and " " in name:
        given, family = name.rsplit(" ", 1)
        return f"{family}, {given} <{email}>"
    return f'"{name}" <{email}>' if "," in name or "." in name else f"{name} <{email}>"


def mail_message(rng: Random, moment: datetime, sender: str, to: list[str], cc: list[str], message_id: str,
                 labels: str, replies_to: str | None = None, bulk: str = "", attachment_bytes: int = 0,
                 transport_headers: bool = True) -> bytes:
    """One message of a Takeout mbox, From_ line included, body text fictitious. Transport
    headers (Received, DKIM) weigh most of a real header block; the shipped sample leaves them
    out to stay small."""
    thread = rng.getrandbits(62)
    lines = [f"From {thread}@xxx {moment:%a %b %d %H:%M:%S} +0000 {moment:%Y}",
             f"X-GM-THRID: {thread}", f"X-Gmail-Labels: {labels}"]
    if transport_headers:
        lines += [f"Received: by 2002:a05:6a10:{rng.getrandbits(16):x} with SMTP id x{rng.getrandbits(32):x};",
                  f"        {mail_date(moment)}",
                  "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;",
                  f"        bh={base64.b64encode(rng.randbytes(32)).decode()};",
                  f"        b={base64.b64encode(rng.randbytes(96)).decode()}"]
    lines += ["MIME-Version: 1.0", f"Date: {mail_date(moment)}", f"Message-ID: <{message_id}>",
             f"From: {sender}", f"To: {', '.join(to)}"]
    if cc:
        lines.append(f"Cc: {', '.join(cc)}")
    if replies_to:
        lines += [f"In-Reply-To: <{replies_to}>", f"References: <{replies_to}>"]
    if bulk == "newsletter":
        lines += ["List-Unsubscribe: <https://news.example.net/u>", "Precedence: bulk"]
    elif bulk == "list":
        lines += ["List-Id: <data-eng.lists.example.org>", "Precedence: list"]
    lines.append(f"Subject: {rng.choice(MESSAGE_TEXTS)[:40]}")
    boundary = f"b{rng.getrandbits(64):x}"
    if attachment_bytes:
        lines.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    else:
        lines.append("Content-Type: text/plain; charset=UTF-8")
    # mboxrd: a body line starting "From " is written as ">From ".
    body = [rng.choice(MESSAGE_TEXTS), "", ">From the notes of last week (quoted below):", "> earlier text"]
    text = "\n".join(lines) + "\n\n"
    if attachment_bytes:
        start = rng.randrange(0, len(_ATTACHMENT_BLOCK) // 2)
        payload = _ATTACHMENT_BLOCK[start:start + attachment_bytes]
        while len(payload) < attachment_bytes:
            payload += _ATTACHMENT_BLOCK[:attachment_bytes - len(payload)]
        head = (f"--{boundary}\nContent-Type: text/plain; charset=UTF-8\n\n" + "\n".join(body)
                + f"\n--{boundary}\nContent-Type: application/pdf\nContent-Disposition: attachment; "
                  f'filename="notes.pdf"\nContent-Transfer-Encoding: base64\n\n')
        return (text + head).encode("utf-8") + payload + f"\n--{boundary}--\n\n".encode()
    return (text + "\n".join(body) + "\n\n").encode("utf-8")


def write_synthetic_mbox(path, messages: int, seed: int = 7, attachment_share: float = 0.5,
                         attachment_bytes: int = 20_000, bulk_share: float = 0.3,
                         start: date = date(2024, 1, 1), days: int = 700) -> int:
    """A Takeout-shaped mbox of any size for benchmarks: `messages` messages between the owner
    and a few thousand invented people, `bulk_share` of them newsletters, list mail and robots,
    `attachment_share` of them carrying an attachment of about `attachment_bytes` (drawn from
    half to one and a half times that). Returns the bytes written."""
    rng = Random(seed)
    owner = mail_address(f"{OWNER_NAME[0]} {OWNER_NAME[1]}", OWNER_EMAILS[0])
    people = [mail_address(name, f"{ascii_fold(name).lower().replace(' ', '.')}.{number}@example.org", number % 3)
              for number, name in ((n, f"{rng.choice(('Ana', 'Jan', 'Zoë', 'Renée', 'Kim', 'Sam'))} "
                                       f"{rng.choice(('Kowalski', 'Müller', 'Lee', 'García', 'Okafor'))}")
                                   for n in range(3000))]
    written = 0
    recent: list[str] = []
    with open(path, "wb") as handle:
        for number in range(messages):
            moment = datetime.combine(start, time(8)) + timedelta(seconds=rng.randrange(days * 86400))
            attachment = int(attachment_bytes * rng.uniform(0.5, 1.5)) if rng.random() < attachment_share else 0
            message_id = f"{number}.{rng.getrandbits(40):x}@mail.example.com"
            roll = rng.random()
            if roll < bulk_share:
                name, email, bulk = rng.choice(MAIL_BULK_SENDERS)
                data = mail_message(rng, moment, mail_address(name, email), [owner], [], message_id,
                                    "Inbox,Category Promotions" if bulk == "newsletter" else "Inbox",
                                    bulk=bulk if bulk != "noreply" else "", attachment_bytes=attachment)
            else:
                person = rng.choice(people[:300] if rng.random() < 0.7 else people)
                cc = rng.sample(people, rng.choice((0, 0, 0, 1, 2, 5)))
                replies_to = rng.choice(recent) if recent and rng.random() < 0.4 else None
                if rng.random() < 0.4:
                    data = mail_message(rng, moment, owner, [person], cc, message_id, "Sent", replies_to,
                                        attachment_bytes=attachment)
                else:
                    data = mail_message(rng, moment, person, [owner], cc, message_id,
                                        "Inbox,Spam" if rng.random() < 0.01 else "Inbox,Opened", replies_to,
                                        attachment_bytes=attachment)
                recent = (recent + [message_id])[-50:]
            handle.write(data)
            written += len(data)
    return written


def sample_mail_messages(dunbar: list[Person], plan: Plan) -> tuple[list[tuple[datetime, bytes]], list[Person]]:
    """The sample inbox's mail with the Dunbar 150 (more with the closer tiers, a dormant tie's
    long ago, replies both ways) and bulk mail that must never reach people; and who is on it."""
    owner = mail_address(f"{OWNER_NAME[0]} {OWNER_NAME[1]}", OWNER_EMAILS[0])
    found: list[tuple[datetime, bytes]] = []
    written: list[Person] = []
    for person in dunbar:
        if person.trajectory == "clockwork":
            continue
        rng = plan.rng("mail", person.index)
        low, high = MAIL_DORMANT if person.dormant else MAIL_PER_TIER.get(person.tier, (0, 0))
        count = rng.randint(low, high)
        start, end = person.window
        if count == 0 or start > end:
            continue
        written.append(person)
        style = 1 if person.company.uses_outlook else 0
        address = mail_address(f"{person.given} {person.family}", person.work_email, style)
        previous = None
        for number, moment in enumerate(sorted(random_moment(rng, start, end) for _ in range(count))):
            message_id = f"p{person.index}.{number}@mail.example.com"
            if rng.random() < 0.5:
                data = mail_message(rng, moment, owner, [address], [], message_id, "Sent", previous,
                                    transport_headers=False)
            else:
                data = mail_message(rng, moment, address, [owner], [], message_id, "Inbox,Opened", previous,
                                    transport_headers=False)
            previous = message_id if rng.random() < 0.7 else None
            found.append((moment, data))
    rng = plan.rng("mail", -1)
    for number in range(40):
        name, email, bulk = MAIL_BULK_SENDERS[number % len(MAIL_BULK_SENDERS)]
        moment = random_moment(rng, plan.as_of - timedelta(days=365), plan.as_of - timedelta(days=1))
        found.append((moment, mail_message(rng, moment, mail_address(name, email), [owner], [],
                                           f"bulk{number}@mailer.example.com",
                                           "Inbox,Category Promotions" if bulk == "newsletter" else "Inbox",
                                           bulk=bulk if bulk != "noreply" else "", attachment_bytes=1000 * (number % 2),
                                           transport_headers=False)))
    return sorted(found, key=lambda item: item[0]), written


def write_sample_mail(out: Path, dunbar: list[Person], plan: Plan, truth: "TruthWriter", counts: dict) -> None:
    """The Takeout-shaped mbox of the sample inbox, and who each mail address is."""
    messages, written = sample_mail_messages(dunbar, plan)
    path = out / TAKEOUT_MBOX
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for _, data in messages:
            handle.write(data)
    counts["mail"] = len(messages)
    for person in sorted(written, key=lambda person: person.work_email):
        truth.add("mail", person.work_email, person)


def owner_yaml() -> str:
    given, family = OWNER_NAME
    return (
        f"name: {given} {family}\n"
        f"emails: [{', '.join(OWNER_EMAILS)}]\n"
        f"linkedin: {LINKEDIN_PREFIX}{OWNER_SLUG}\n"
        f'phones: ["{OWNER_MOBILE}"]\n'
        "default_region: GB\n"
    )


def csv_writer(handle):
    return csv.writer(handle, lineterminator="\n")


def add_to_zip(archive: zipfile.ZipFile, name: str, source: Path, as_of: date) -> None:
    info = zipfile.ZipInfo(name, date_time=(as_of.year, as_of.month, as_of.day, 8, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # Unix, whatever machine writes it
    info.file_size = source.stat().st_size  # lets zipfile choose ZIP64 only for huge members
    with source.open("rb") as reader, archive.open(info, "w") as writer:
        shutil.copyfileobj(reader, writer, 1024 * 1024)


class TruthWriter:
    """Which person each source record belongs to; counts rows even when nothing is written."""

    def __init__(self, path) -> None:
        self.rows = 0
        self.handle = open(path, "w", encoding="utf-8", newline="") if path else None
        self.writer = csv_writer(self.handle) if self.handle else None
        if self.writer:
            self.writer.writerow(TRUTH_HEADER)

    def add(self, source: str, key: str, person: Person | None) -> None:
        """`person` None is the owner."""
        self.add_row(source, key, OWNER_TRUTH if person is None else person.truth)

    def add_row(self, source: str, key: str, who: tuple[str, ...]) -> None:
        self.rows += 1
        if self.writer:
            self.writer.writerow([source, key, *who])

    def close(self) -> None:
        if self.handle:
            self.handle.close()


def write_people(out: Path, scratch: Path, plan: Plan, roster: dict[int, Person],
                 truth: TruthWriter, counts: dict) -> tuple[list[Person], list[Person]]:
    """One pass over everyone: the phone book and the LinkedIn files that grow with people.

    Returns the acquaintances invited to company gatherings and those with meetings of their
    own, which the calendar needs.
    """
    handles = {name: (scratch / name).open("w", encoding="utf-8", newline="") for name in LINKEDIN_STREAMED}
    writers = {name: csv_writer(handle) for name, handle in handles.items()}
    handles["Connections.csv"].write(CONNECTIONS_PREAMBLE)
    for name, header in LINKEDIN_STREAMED.items():
        writers[name].writerow(header)
    gathering_people: list[Person] = []
    met_acquaintances: list[Person] = []
    truth.add("vcard", OWNER_UID, None)
    truth.add("linkedin", LINKEDIN_PREFIX + OWNER_SLUG, None)
    try:
        with (out / "contacts.vcf").open("w", encoding="utf-8", newline="") as vcf:
            write_card(vcf, owner_vcard_lines())
            counts["vcards"] += 1
            for index in plan.emission_order():
                person = roster.get(index) or make_person(plan, index, None)
                if index in plan.company_gatherings:
                    gathering_people.append(person)
                if index in plan.met_acquaintances:
                    met_acquaintances.append(person)
                card_rng = plan.rng("vcard", index)
                for position, uid in enumerate(person.uids):
                    write_card(vcf, vcard_lines(person, uid, card_rng, old_card=position == 1))
                    truth.add("vcard", uid, person)
                    counts["vcards"] += 1
                if person.connected:
                    writers["Connections.csv"].writerow([
                        person.linkedin_first, person.family, person.linkedin_url,
                        person.linkedin_email, person.company.name, person.title,
                        connected_on(person.connected),
                    ])
                    counts["connections"] += 1
                messages = message_rows(person, plan)
                writers["messages.csv"].writerows(messages)
                counts["messages"] += len(messages)
                invitation = invitation_row(person, plan)
                if invitation:
                    writers["Invitations.csv"].writerow(invitation)
                    counts["invitations"] += 1
                received, given = endorsement_rows(person, plan)
                writers["Endorsement_Received_Info.csv"].writerows(received)
                writers["Endorsement_Given_Info.csv"].writerows(given)
                counts["endorsements"] += len(received) + len(given)
                if person.slug and (person.connected or invitation):
                    truth.add("linkedin", person.linkedin_key, person)
        dunbar = [roster[i] for i in sorted(roster)]
        group_messages = group_message_rows(dunbar, plan)
        writers["messages.csv"].writerows(group_messages)
        counts["messages"] += len(group_messages)
    finally:
        for handle in handles.values():
            handle.close()
    return sorted(gathering_people, key=attrgetter("index")), sorted(met_acquaintances, key=attrgetter("index"))


def write_linkedin_archive(out: Path, scratch: Path, plan: Plan, dunbar: list[Person],
                           truth: TruthWriter, counts: dict) -> None:
    received, given, recommenders = recommendation_rows(dunbar, plan)
    named: dict[str, Person] = {}
    for row, person in zip(received + given, recommenders):
        named.setdefault(name_key(row[0], row[1]), person)
    for key, person in named.items():
        truth.add("linkedin", key, person)
    for name, rows in (("Recommendations_Received.csv", received), ("Recommendations_Given.csv", given)):
        with (scratch / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(RECOMMENDATIONS_HEADER)
            writer.writerows(rows)
        counts["recommendations"] += len(rows)
    archive_path = out / f"Basic_LinkedInDataExport_{plan.as_of:%m-%d-%Y}.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for name in ARCHIVE_MEMBERS:
            add_to_zip(archive, name, scratch / name, plan.as_of)


def generate_inbox(out_dir, people: int = 150, seed: int = 7, as_of: date = date(2026, 11, 20),
                   truth_path=None) -> dict:
    """Writes the inbox into out_dir (and the truth CSV to truth_path); returns counts."""
    if people < 1:
        raise ValueError("people must be at least 1")
    out = Path(out_dir)
    if truth_path and Path(out).resolve() in Path(truth_path).resolve().parents:
        raise ValueError("the truth file must be written outside the inbox, or strongties would read it")
    (out / "calendar").mkdir(parents=True, exist_ok=True)
    for stale in out.glob("Basic_LinkedInDataExport_*.zip"):
        stale.unlink()  # an export of another date would count the same people twice
    plan = make_plan(people, seed, as_of)
    registry = Registry()
    roster = {index: make_person(plan, index, registry) for index in range(min(people, DUNBAR_SIZE))}
    link_couple(roster, seed)
    dunbar = [roster[index] for index in sorted(roster)]
    counts = {"people": people, "vcards": 0, "connections": 0, "messages": 0, "invitations": 0,
              "endorsements": 0, "recommendations": 0, "events": 0, "mail": 0, "referrals": 0, "truth_rows": 0}

    (out / "owner.yaml").write_text(owner_yaml(), encoding="utf-8", newline="\n")
    truth = TruthWriter(truth_path)
    try:
        with tempfile.TemporaryDirectory(prefix="strongties-inbox-") as scratch_name:
            scratch = Path(scratch_name)
            gathering_people, met_acquaintances = write_people(out, scratch, plan, roster, truth, counts)
            write_linkedin_archive(out, scratch, plan, dunbar, truth, counts)

        builder = CalendarBuilder(plan, dunbar, gathering_people, met_acquaintances)
        events = builder.build()
        (out / "calendar" / "work.ics").write_text(calendar_text(events, as_of), encoding="utf-8", newline="")
        counts["events"] = len(events)
        for email, who in sorted(builder.truth.items()):
            truth.add_row("calendar", email, who)

        write_sample_mail(out, dunbar, plan, truth, counts)

        referrals = referral_rows(dunbar, plan)
        with (out / "referrals.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv_writer(handle)
            writer.writerow(REFERRALS_HEADER)
            writer.writerows(referrals)
        counts["referrals"] = len(referrals)
    finally:
        truth.close()
    counts["truth_rows"] = truth.rows
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--out", required=True, help="the inbox folder to write")
    parser.add_argument("--truth", help="where to write the truth CSV (keep it outside the inbox)")
    args = parser.parse_args(argv)
    counts = generate_inbox(args.out, args.people, args.seed, args.as_of, args.truth)
    print(" ".join(f"{name}={value}" for name, value in counts.items()))


if __name__ == "__main__":
    main()
