"""The fictitious inbox generator: deterministic, well-formed, fictitious, and true to its people model."""
from __future__ import annotations

import collections
import csv
import hashlib
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject

from connectors.normalize import fold_text, normalize_email, normalize_linkedin_url
from data.generate_inbox import (
    DUNBAR_SIZE,
    Registry,
    generate_inbox,
    link_couple,
    make_person,
    make_plan,
    referral_entries,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT / "data" / "sample"
SAMPLE_TRUTH = REPO_ROOT / "data" / "sample_truth.csv"
AS_OF = date(2026, 11, 20)
ARCHIVE = "Basic_LinkedInDataExport_11-20-2026.zip"
FICTITIOUS_DOMAIN = re.compile(r"(^|\.)example\.(com|org|net)$")
# LinkedIn's own pages appear in the Connections preamble and in every profile URL.
ALLOWED_URL_HOSTS = re.compile(r"^(www\.)?linkedin\.com$|(^|\.)example\.(com|org|net)$")


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def archive_contents(path: Path) -> dict[str, tuple]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: (info.date_time, archive.read(info)) for info in archive.infolist()}


def read_member(inbox: Path, member: str) -> str:
    with zipfile.ZipFile(inbox / ARCHIVE) as archive:
        return archive.read(member).decode("utf-8")


def member_rows(inbox: Path, member: str) -> list[dict[str, str]]:
    text = read_member(inbox, member)
    if member == "Connections.csv":
        text = "".join(text.splitlines(keepends=True)[3:])
    return list(csv.DictReader(io.StringIO(text)))


def truth_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> tuple[Path, Path, dict]:
    folder = tmp_path_factory.mktemp("generated")
    truth = folder / "truth.csv"
    counts = generate_inbox(folder / "inbox", people=150, seed=7, as_of=AS_OF, truth_path=truth)
    return folder / "inbox", truth, counts


@pytest.fixture(scope="module")
def calendar(inbox) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical((inbox[0] / "calendar" / "work.ics").read_bytes())


def test_same_arguments_write_byte_identical_files(inbox, tmp_path):
    folder, truth, _ = inbox
    generate_inbox(tmp_path / "again", people=150, seed=7, as_of=AS_OF, truth_path=tmp_path / "truth.csv")
    assert file_hashes(tmp_path / "again") == file_hashes(folder)
    assert (tmp_path / "truth.csv").read_bytes() == truth.read_bytes()


def test_another_seed_writes_another_inbox(inbox, tmp_path):
    generate_inbox(tmp_path / "other", people=150, seed=8, as_of=AS_OF)
    assert (tmp_path / "other" / "contacts.vcf").read_bytes() != (inbox[0] / "contacts.vcf").read_bytes()


def test_inbox_holds_the_contract_files(inbox):
    folder, _, _ = inbox
    names = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    assert names == [ARCHIVE, "Takeout/Mail/All mail Including Spam and Trash.mbox", "calendar/work.ics",
                     "contacts.vcf", "owner.yaml", "referrals.csv"]
    owner = (folder / "owner.yaml").read_text()
    assert "name: Alex Morgan" in owner
    assert "emails: [alex.morgan@example.com, alex@morgan.example.org]" in owner


def test_every_card_parses_and_lines_are_folded_with_crlf(inbox):
    raw = (inbox[0] / "contacts.vcf").read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    assert any(line.startswith(b" ") for line in raw.split(b"\r\n")), "some long line is folded"
    cards = list(vobject.readComponents(raw.decode("utf-8")))
    assert len(cards) == raw.count(b"BEGIN:VCARD") == inbox[2]["vcards"]
    assert all(card.version.value == "3.0" and card.uid.value and card.fn.value for card in cards)
    assert any(hasattr(card, "bday") for card in cards) and any(hasattr(card, "adr") for card in cards)
    assert any(hasattr(card, "note") for card in cards)
    assert any(getattr(card, "x_ablabel", None) and card.x_ablabel.value == "LinkedIn" for card in cards)


def test_about_sixty_percent_of_people_are_in_the_phone_book(tmp_path):
    counts = generate_inbox(tmp_path / "inbox", people=2000, seed=7, as_of=AS_OF)
    assert 0.5 <= counts["vcards"] / counts["people"] <= 0.7


def test_linkedin_members_have_the_2024_headers_and_date_shapes(inbox):
    folder = inbox[0]
    lines = read_member(folder, "Connections.csv").split("\n")
    assert lines[0] == "Notes:" and lines[1].startswith('"When exporting') and lines[2] == ""
    assert lines[3] == "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
    connections = member_rows(folder, "Connections.csv")
    assert all(re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}", row["Connected On"]) for row in connections)
    assert sum(bool(row["Email Address"]) for row in connections) < len(connections) / 3

    messages = read_member(folder, "messages.csv").split("\n")[0]
    assert messages == ("CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,"
                        "DATE,SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT")
    message_rows = member_rows(folder, "messages.csv")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row["DATE"]) for row in message_rows)
    assert any("," in row["RECIPIENT PROFILE URLS"] for row in message_rows), "a group conversation"

    invitations = member_rows(folder, "Invitations.csv")
    assert list(invitations[0]) == ["From", "To", "Sent At", "Message", "Direction", "inviterProfileUrl", "inviteeProfileUrl"]
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M", row["Sent At"]) for row in invitations)
    assert {row["Direction"] for row in invitations} == {"INCOMING", "OUTGOING"}

    recommendations = member_rows(folder, "Recommendations_Received.csv")
    assert list(recommendations[0]) == ["First Name", "Last Name", "Company", "Job Title", "Text", "Creation Date", "Status"]
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d\d, \d\d:\d\d [AP]M", row["Creation Date"]) for row in recommendations)
    endorsements = member_rows(folder, "Endorsement_Received_Info.csv")
    assert all(re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d UTC", row["Endorsement Date"]) for row in endorsements)
    assert all(row["Endorser Public Url"].startswith("www.linkedin.com/in/") for row in endorsements)


def test_archive_members_carry_a_fixed_timestamp(inbox):
    with zipfile.ZipFile(inbox[0] / ARCHIVE) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 20, 8, 0, 0)}


def test_calendar_holds_recurrence_resources_declines_a_cancellation_and_upcoming_meetings(calendar):
    events = list(calendar.walk("VEVENT"))
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
    weekly = [e for e in events if "RRULE" in e and e["RRULE"]["FREQ"] == ["WEEKLY"] and "EXDATE" in e]
    assert weekly, "a weekly 1:1 with an exception"
    series = weekly[0]
    overrides = [e for e in events if e["UID"] == series["UID"] and "RECURRENCE-ID" in e]
    assert len(overrides) == 1
    moved = overrides[0]
    assert (moved["DTSTART"].dt - moved["RECURRENCE-ID"].dt).days == 1
    first = series["DTSTART"].dt.date()
    assert (AS_OF - first).days > 365

    resources = [a for e in events for a in e.get("ATTENDEE", []) if a.params.get("CUTYPE") == "RESOURCE"]
    assert resources and all(str(a).endswith("@resource.calendar.example.com") for a in resources)
    assert any(e.get("STATUS") == "CANCELLED" for e in events)
    owner_declined = [
        e for e in events for a in e.get("ATTENDEE", [])
        if str(a).lower() == "mailto:alex.morgan@example.com" and a.params.get("PARTSTAT") == "DECLINED"
    ]
    assert len(owner_declined) >= 2
    all_hands = max(events, key=lambda e: len(e.get("ATTENDEE", [])))
    assert 30 <= len(all_hands["ATTENDEE"]) <= 50 and all_hands["RRULE"]["FREQ"] == ["MONTHLY"]
    assert any(',' in a.params.get("CN", "") for e in events for a in e.get("ATTENDEE", [])), "Outlook's Family, Given"
    upcoming = recurring_ical_events.of(calendar).between(date(2026, 11, 21), date(2027, 1, 19))
    assert any("RRULE" not in e and e["DTSTART"].dt.date() > AS_OF for e in events)
    assert len(upcoming) >= 10


def test_referrals_log_has_the_contract_columns(inbox):
    with (inbox[0] / "referrals.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["date", "person", "direction", "kind", "value", "note"]
    assert {row["direction"] for row in rows} == {"received", "given"}
    assert {row["kind"] for row in rows} <= {"job_offer", "client", "speaking", "intro", "mentorship"}
    assert all(1 <= int(row["value"]) <= 5 for row in rows)
    assert any("@" in row["person"] for row in rows)
    assert any(row["person"].startswith("https://www.linkedin.com/in/") for row in rows)
    assert any(" " in row["person"] and "@" not in row["person"] for row in rows)


@pytest.mark.parametrize("seed", [1, 7, 11])
def test_most_referral_value_comes_from_the_top_fifth_of_referrers(seed):
    plan = make_plan(150, seed, AS_OF)
    registry = Registry()
    roster = {index: make_person(plan, index, registry) for index in range(DUNBAR_SIZE)}
    link_couple(roster, seed)
    received = collections.Counter()
    for person, row in referral_entries([roster[i] for i in sorted(roster)], plan):
        if row[2] == "received":
            received[person.index] += int(row[4])
    values = sorted(received.values(), reverse=True)
    top_fifth = sum(values[:round(len(values) / 5)])
    assert top_fifth / sum(values) >= 0.72


def test_only_example_domains_appear(inbox):
    folder, _, _ = inbox
    texts = [path.read_bytes().decode("utf-8") for path in folder.rglob("*") if path.suffix in (".vcf", ".ics", ".csv", ".yaml")]
    with zipfile.ZipFile(folder / ARCHIVE) as archive:
        texts += [archive.read(name).decode("utf-8") for name in archive.namelist()]
    text = "\n".join(texts)
    # Unfold continuation lines so an address split by folding is read whole.
    text = text.replace("\r\n ", "")
    domains = {match.lower() for match in re.findall(r"[\w.+'-]+@([\w.-]+\w)", text)}
    assert domains and all(FICTITIOUS_DOMAIN.search(domain) for domain in domains), domains
    hosts = {match.lower() for match in re.findall(r"(?:https?://|\b)((?:[\w-]+\.)+(?:com|org|net|io|co\.uk))/", text)}
    assert all(ALLOWED_URL_HOSTS.search(host) for host in hosts), hosts


def test_phone_numbers_come_from_ranges_reserved_for_fiction(inbox):
    text = (inbox[0] / "contacts.vcf").read_text(encoding="utf-8")
    numbers = re.findall(r"^TEL[^:]*:(.*)$", text, re.MULTILINE)
    assert numbers
    for number in numbers:
        digits = re.sub(r"\D", "", number)
        uk = digits[2:] if digits.startswith("44") else digits[1:]
        reserved_uk = re.match(r"(7700900|207946|1[1-9][1-8]49[68]|292018|289649)", uk)
        reserved_us = re.fullmatch(r"1?\d{3}55501\d\d", digits)
        assert reserved_uk or reserved_us, number


def test_truth_covers_every_vcard_uid_linkedin_url_and_calendar_address(inbox, calendar):
    folder, truth_path, _ = inbox
    truth = {(row["source"], row["source_key"]) for row in truth_rows(truth_path)}
    cards = vobject.readComponents((folder / "contacts.vcf").read_text(encoding="utf-8"))
    uids = {card.uid.value for card in cards}
    assert {("vcard", uid) for uid in uids} <= truth

    urls = set()
    for member, columns in (
        ("Connections.csv", ["URL"]),
        ("messages.csv", ["SENDER PROFILE URL", "RECIPIENT PROFILE URLS"]),
        ("Invitations.csv", ["inviterProfileUrl", "inviteeProfileUrl"]),
        ("Endorsement_Received_Info.csv", ["Endorser Public Url"]),
        ("Endorsement_Given_Info.csv", ["Endorsee Public Url"]),
    ):
        for row in member_rows(folder, member):
            for column in columns:
                urls.update(normalize_linkedin_url(url) for url in row[column].split(",") if url)
    assert None not in urls
    assert {("linkedin", url) for url in urls} <= truth

    addresses, rooms = set(), set()
    for event in calendar.walk("VEVENT"):
        for attendee in [event["ORGANIZER"], *event.get("ATTENDEE", [])]:
            is_room = attendee.params.get("CUTYPE") == "RESOURCE"
            (rooms if is_room else addresses).add(normalize_email(str(attendee)))
    assert {("calendar", address) for address in addresses} <= truth
    assert rooms and not {("calendar", room) for room in rooms} & truth, "a room is not a person"
    sources = collections.Counter(source for source, key in truth if not key.startswith("name:"))
    assert sources["vcard"] == len(uids) and sources["linkedin"] == len(urls) and sources["calendar"] == len(addresses)


def test_truth_names_recommenders_the_way_the_warehouse_keys_them(inbox):
    folder, truth_path, _ = inbox
    keys = {row["source_key"] for row in truth_rows(truth_path) if row["source_key"].startswith("name:")}
    written = set()
    for member in ("Recommendations_Received.csv", "Recommendations_Given.csv"):
        for row in member_rows(folder, member):
            written.add("name:" + fold_text(f"{row['First Name']} {row['Last Name']}"))
    assert written and written == keys


def test_truth_keys_are_unique_and_owner_is_labelled(inbox):
    rows = truth_rows(inbox[1])
    assert list(rows[0]) == ["source", "source_key", "true_person", "tier", "dormant", "trajectory", "every_days", "overdue"]
    keys = [(row["source"], row["source_key"]) for row in rows]
    assert len(keys) == len(set(keys))
    owner = {row["source_key"] for row in rows if row["true_person"] == "owner"}
    assert {"alex.morgan@example.com", "https://www.linkedin.com/in/alex-morgan-4a1b2c"} <= owner


@pytest.mark.parametrize("people, expected", [
    (150, {"closest": 5, "close": 15, "active": 30, "known": 100}),
    (2000, {"closest": 5, "close": 15, "active": 30, "known": 100, "acquaintance": 1850}),
    (20000, {"closest": 5, "close": 15, "active": 30, "known": 100, "acquaintance": 19850}),
])
def test_tier_counts_follow_dunbar_layers(people, expected):
    plan = make_plan(people, 7, AS_OF)
    assert collections.Counter(plan.tier_of(index) for index in range(people)) == expected
    assert len(plan.dormant) == 12
    assert all(plan.tier_of(index) in ("known", "acquaintance") for index in plan.dormant)


def test_truth_tiers_match_the_people_in_the_sample(inbox):
    people = {(row["true_person"], row["tier"], row["dormant"]) for row in truth_rows(inbox[1])}
    tiers = collections.Counter((tier, dormant) for _, tier, dormant in people)
    assert tiers[("closest", "false")] == 5 and tiers[("close", "false")] == 15
    assert tiers[("active", "false")] == 30
    assert tiers[("known", "false")] + tiers[("known", "true")] == 100 and tiers[("known", "true")] == 12


def test_dormant_ties_are_rich_in_the_past_and_silent_for_a_year(inbox, calendar):
    folder, truth_path, _ = inbox
    truth = truth_rows(truth_path)
    dormant = {row["true_person"] for row in truth if row["dormant"] == "true"}
    # The closest tie who moved away (a planned fader) is the exception.
    closest = {row["true_person"] for row in truth if row["tier"] == "closest" and not row["trajectory"]}
    person_of = {(row["source"], row["source_key"]): row["true_person"] for row in truth}
    last_seen: dict[str, date] = {}
    meetings = collections.Counter()
    for occurrence in recurring_ical_events.of(calendar).between(date(2018, 1, 1), date(2027, 2, 1)):
        day = occurrence["DTSTART"].dt.date()
        for attendee in occurrence.get("ATTENDEE", []):
            person = person_of.get(("calendar", normalize_email(str(attendee))))
            if person:
                meetings[person] += 1
                last_seen[person] = max(day, last_seen.get(person, day))
    for row in member_rows(folder, "messages.csv"):
        day = date.fromisoformat(row["DATE"][:10])
        for url in [row["SENDER PROFILE URL"], *row["RECIPIENT PROFILE URLS"].split(",")]:
            person = person_of.get(("linkedin", normalize_linkedin_url(url)))
            if person:
                last_seen[person] = max(day, last_seen.get(person, day))
    assert all((AS_OF - last_seen[person]).days > 365 for person in dormant if person in last_seen)
    assert sum(meetings[person] >= 10 for person in dormant) >= len(dormant) * 0.75
    assert all((AS_OF - last_seen[person]).days < 60 for person in closest)
    assert min(meetings[person] for person in closest) > sorted(meetings.values())[len(meetings) // 2]


def test_hard_negatives_share_names_or_a_home_phone_but_are_different_people(inbox):
    folder, truth_path, _ = inbox
    person_of = {row["source_key"]: row["true_person"] for row in truth_rows(truth_path) if row["source"] == "vcard"}
    connections = member_rows(folder, "Connections.csv")
    chens = {row["URL"] for row in connections if row["First Name"].startswith("Michael") and row["Last Name"] == "Chen"}
    truth = {row["source_key"]: row["true_person"] for row in truth_rows(truth_path) if row["source"] == "linkedin"}
    assert len({truth[normalize_linkedin_url(url)] for url in chens}) >= 2

    cards = list(vobject.readComponents((folder / "contacts.vcf").read_text(encoding="utf-8")))
    by_phone = collections.defaultdict(set)
    for card in cards:
        for tel in card.contents.get("tel", []):
            by_phone[re.sub(r"\D", "", tel.value)[-9:]].add(person_of[card.uid.value])
    shared = [people for people in by_phone.values() if len(people) > 1]
    assert len(shared) == 1 and len(shared[0]) == 2

    owners = collections.Counter(person_of.values())
    assert any(count == 2 for count in owners.values()), "one person with two cards"


def test_the_same_person_is_written_differently_across_sources(inbox):
    folder, truth_path, _ = inbox
    truth = truth_rows(truth_path)
    card_person = {row["source_key"]: row["true_person"] for row in truth if row["source"] == "vcard"}
    url_person = {row["source_key"]: row["true_person"] for row in truth if row["source"] == "linkedin"}
    linkedin_name = {
        url_person[normalize_linkedin_url(row["URL"])]: f"{row['First Name']} {row['Last Name']}"
        for row in member_rows(folder, "Connections.csv")
    }
    differing = 0
    for card in vobject.readComponents((folder / "contacts.vcf").read_text(encoding="utf-8")):
        person = card_person[card.uid.value]
        if person in linkedin_name and linkedin_name[person] != card.fn.value:
            differing += 1
    assert differing >= 15


def test_calendar_grows_with_the_acquaintances_beyond_the_dunbar_150(inbox, tmp_path):
    counts = generate_inbox(tmp_path / "inbox", people=2000, seed=3, as_of=AS_OF, truth_path=tmp_path / "truth.csv")
    assert counts["people"] == 2000 and counts["connections"] > 1000
    # About one acquaintance in ten meets the owner once or twice: 1,850 acquaintances, ~185 met.
    assert 150 <= counts["events"] - inbox[2]["events"] <= 450
    calendar_tiers = collections.Counter(row["tier"] for row in truth_rows(tmp_path / "truth.csv") if row["source"] == "calendar")
    assert calendar_tiers["acquaintance"] >= 185
    # 51 of them come to company gatherings; without meetings of their own that would be all.
    # The shipped sample has no one beyond the 150, so its calendar is as it was.
    assert not any(row["tier"] == "acquaintance" for row in truth_rows(inbox[1]))


def test_script_runs_from_the_command_line(tmp_path):
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "data" / "generate_inbox.py"), "--people", "40", "--seed", "2",
         "--as-of", "2025-03-01", "--out", str(tmp_path / "inbox"), "--truth", str(tmp_path / "truth.csv")],
        capture_output=True, text=True, check=True,
    )
    assert "people=40" in completed.stdout
    assert (tmp_path / "inbox" / "Basic_LinkedInDataExport_03-01-2025.zip").exists()
    assert (tmp_path / "truth.csv").exists()


def test_shipped_sample_is_what_the_generator_writes(tmp_path):
    if not SAMPLE.joinpath("contacts.vcf").exists():
        pytest.skip("data/sample has not been generated")
    generate_inbox(tmp_path / "sample", people=150, seed=7, as_of=AS_OF, truth_path=tmp_path / "truth.csv")
    # Zip members are compared by content: another zlib may deflate the same bytes differently.
    shipped, generated = file_hashes(SAMPLE), file_hashes(tmp_path / "sample")
    plain = [name for name in generated if not name.endswith(".zip")]
    assert {name: shipped.get(name) for name in plain} == {name: generated[name] for name in plain}
    assert archive_contents(SAMPLE / ARCHIVE) == archive_contents(tmp_path / "sample" / ARCHIVE)
    assert (tmp_path / "truth.csv").read_bytes() == SAMPLE_TRUTH.read_bytes()
    assert sum(path.stat().st_size for path in SAMPLE.rglob("*") if path.is_file()) < 1_000_000


def test_truth_file_inside_the_inbox_is_refused(tmp_path):
    with pytest.raises(ValueError, match="outside the inbox"):
        generate_inbox(tmp_path / "inbox", people=10, truth_path=tmp_path / "inbox" / "truth.csv")


def calendar_days_by_person(calendar, truth: list[dict]) -> dict[str, list[date]]:
    """Each true person's meeting days in the calendar, sorted, cancelled meetings left out."""
    person_of = {row["source_key"]: row["true_person"] for row in truth if row["source"] == "calendar"}
    days: dict[str, list[date]] = collections.defaultdict(list)
    for occurrence in recurring_ical_events.of(calendar).between(date(2018, 1, 1), date(2027, 2, 1)):
        if str(occurrence.get("STATUS", "")) == "CANCELLED":
            continue
        for attendee in occurrence.get("ATTENDEE", []):
            person = person_of.get(normalize_email(str(attendee)))
            if person and person != "owner":
                days[person].append(occurrence["DTSTART"].dt.date())
    return {person: sorted(found) for person, found in days.items()}


def planned(truth: list[dict], trajectory: str) -> dict[str, dict]:
    return {row["true_person"]: row for row in truth if row["trajectory"] == trajectory}


def test_truth_names_the_planned_faders_risers_and_quarterly_mentors(inbox):
    truth = truth_rows(inbox[1])
    people = {row["true_person"]: row for row in truth}
    trajectories = collections.Counter(row["trajectory"] for row in people.values())
    assert (trajectories["fading"], trajectories["rising"], trajectories["clockwork"]) == (5, 3, 4)
    assert all(row["dormant"] == "false" for row in people.values() if row["trajectory"])
    assert {row["tier"] for row in planned(truth, "fading").values()} <= {"closest", "close", "active"}
    mentors = planned(truth, "clockwork").values()
    assert {row["every_days"] for row in mentors} == {"91"} and {row["overdue"] for row in mentors} == {"true", "false"}
    assert all(row["every_days"] == row["overdue"] == "" for row in people.values() if row["trajectory"] != "clockwork")


def test_quarterly_mentors_meet_on_the_same_day_every_quarter_and_the_overdue_ones_stopped(inbox, calendar):
    truth = truth_rows(inbox[1])
    days = calendar_days_by_person(calendar, truth)
    for mentor, row in planned(truth, "clockwork").items():
        past = [day for day in days[mentor] if day <= AS_OF]
        gaps = [(later - earlier).days for earlier, later in zip(past, past[1:])]
        assert len(past) == 9 and all(89 <= gap <= 92 for gap in gaps), (mentor, gaps)
        since = (AS_OF - past[-1]).days
        if row["overdue"] == "true":
            assert since > 91 * 1.25 and past == days[mentor]  # nothing booked since
        else:
            assert since < 91 and days[mentor][-1] > AS_OF  # the series goes on


def test_faders_were_met_weekly_until_they_moved_then_ever_more_rarely_but_within_the_year(inbox, calendar):
    truth = truth_rows(inbox[1])
    days = calendar_days_by_person(calendar, truth)
    for fader in planned(truth, "fading"):
        last_year = [day for day in days[fader] if (AS_OF - day).days <= 365]
        earlier_half, later_half = [day for day in last_year if (AS_OF - day).days > 182], \
            [day for day in last_year if (AS_OF - day).days <= 182]
        assert len(earlier_half) >= 10 and 1 <= len(later_half) <= 3, (fader, len(earlier_half), len(later_half))
        assert (AS_OF - days[fader][-1]).days >= 30


def test_risers_were_met_once_or_twice_then_weekly_for_the_last_months(inbox, calendar):
    truth = truth_rows(inbox[1])
    days = calendar_days_by_person(calendar, truth)
    for riser in planned(truth, "rising"):
        past = [day for day in days[riser] if day <= AS_OF]
        recent = [day for day in past if (AS_OF - day).days <= 120]
        before_the_work = [day for day in past if (AS_OF - day).days > 170]
        assert (AS_OF - past[0]).days >= 240 and 1 <= len(before_the_work) <= 2
        assert len(recent) >= 15, (riser, len(recent))

