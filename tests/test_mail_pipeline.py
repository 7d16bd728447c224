"""Mail through the whole graph: a Google Takeout zip holding mail, contacts and calendar,
next to the tiny inbox; a mail-only close colleague and a newsletter sender."""
from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_AS_OF, TINY_INBOX, copy_of_tiny_inbox, failed_checks, materialize_all, rows

COLLEAGUE = "priya.natarajan@colleague.example.org"
NEWSLETTER = "deals@news.example.net"
# The owner writes from an address owner.yaml does not list; the Sent label teaches it.
OWNER_OTHER_ADDRESS = "alex.m@work.example.com"


def _message(number: int, moment: datetime, sender: str, to: str, labels: str, extra: str = "", replies_to: str = "") -> bytes:
    lines = [f"From {number}@xxx {moment:%a %b %d %H:%M:%S} +0000 {moment:%Y}", f"X-Gmail-Labels: {labels}",
             f"Date: {moment:%a, %d %b %Y %H:%M:%S} +0000", f"Message-ID: <m{number}@mail.example.com>",
             f"From: {sender}", f"To: {to}", "Subject: something private"]
    if replies_to:
        lines.append(f"In-Reply-To: <{replies_to}>")
    if extra:
        lines.append(extra)
    return ("\n".join(lines) + "\n\nA body that is never read.\n\n").encode()


def takeout_mbox() -> bytes:
    as_of = datetime.fromisoformat(SAMPLE_AS_OF)
    messages = []
    for day in range(1, 120):
        moment = as_of - timedelta(days=day, hours=3)
        messages.append(_message(2 * day, moment, f"Alex Morgan <{OWNER_OTHER_ADDRESS}>",
                                 f"Natarajan, Priya <{COLLEAGUE}>", "Sent"))
        messages.append(_message(2 * day + 1, moment + timedelta(hours=2), f"Natarajan, Priya <{COLLEAGUE}>",
                                 f"Alex Morgan <{OWNER_OTHER_ADDRESS}>", "Inbox,Opened", replies_to=f"m{2 * day}@mail.example.com"))
        messages.append(_message(10_000 + day, moment, f"Weekly Deals <{NEWSLETTER}>", f"<{OWNER_OTHER_ADDRESS}>",
                                 "Inbox,Category Promotions", "List-Unsubscribe: <mailto:u@news.example.net>"))
    return b"".join(messages)


@pytest.fixture(scope="module")
def mail_warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mail")
    inbox = copy_of_tiny_inbox(folder)
    (inbox / "calendar.ics").rename(folder / "calendar.ics")
    (inbox / "contacts.vcf").rename(folder / "contacts.vcf")
    with zipfile.ZipFile(inbox / "takeout-20261120T000000Z-001.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Takeout/Mail/All mail Including Spam and Trash.mbox", takeout_mbox())
        archive.write(folder / "contacts.vcf", "Takeout/Contacts/My Contacts/My Contacts.vcf")
        archive.write(folder / "calendar.ics", "Takeout/Calendar/alex@example.com.ics")
    warehouse = folder / "strongties.duckdb"
    result = materialize_all(inbox, warehouse, SAMPLE_AS_OF)
    assert result.success
    assert failed_checks(result) == []
    return warehouse


def test_takeout_zip_members_are_read_as_mail_contacts_and_calendar(mail_warehouse):
    kinds = dict(rows(mail_warehouse, "select path, kind from input_file where path like '%!Takeout/%'"))
    assert sorted(kinds.values()) == ["calendar", "mail", "vcard"]
    mail_items = rows(mail_warehouse, "select items, quarantined from input_file where kind = 'mail'")
    assert mail_items == [(357, 0)]


def test_mail_only_close_colleague_reaches_the_core_list(mail_warehouse):
    on_list = rows(mail_warehouse, "select c.rank from core_list as c join person as p using (person_id) "
                                   "where list_contains(p.emails, ?)", [COLLEAGUE])
    assert on_list and on_list[0][0] <= 5
    channels = rows(mail_warehouse, "select distinct i.channel, i.direction from interaction as i join person as p "
                                    "using (person_id) where list_contains(p.emails, ?) order by 2", [COLLEAGUE])
    assert channels == [("email", "inbound"), ("email", "outbound")]


def test_a_newsletter_sender_never_becomes_a_person(mail_warehouse):
    assert rows(mail_warehouse, "select count(*) from person where list_contains(emails, ?)", [NEWSLETTER]) == [(0,)]
    skipped = rows(mail_warehouse, "select reason from quarantine where reason like '%newsletters%'")
    assert skipped and skipped[0][0].startswith("119 messages skipped")


def test_the_owner_address_learnt_from_sent_mail_is_never_a_contact(mail_warehouse):
    assert rows(mail_warehouse, "select count(*) from person where list_contains(emails, ?)", [OWNER_OTHER_ADDRESS]) == [(0,)]


def test_colleague_name_in_last_first_form_is_one_person_named(mail_warehouse):
    names = rows(mail_warehouse, "select display_name from person where list_contains(emails, ?)", [COLLEAGUE])
    assert names == [("Priya Natarajan",)] or names == [("Natarajan, Priya",)]


def test_replies_are_tied_to_what_they_answer(mail_warehouse):
    from assets.resource import working_path_for
    replies = rows(working_path_for(mail_warehouse), "select count(*) filter (where is_reply), median(reply_seconds) from stg_mail_messages")
    assert replies == [(119, 7200.0)]


def test_no_subject_or_message_id_is_stored(mail_warehouse):
    with open(mail_warehouse, "rb") as handle:
        data = handle.read()
    assert b"something private" not in data
    assert b"@mail.example.com" not in data
    assert TINY_INBOX.exists()
