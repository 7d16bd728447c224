"""The mail connector on hand-made mailboxes: what each message becomes, and bad input."""
from __future__ import annotations

import io
from pathlib import Path

from connectors.mail import parse_mail
from connectors.mail.addresses import parse_addresses
from connectors.mail.headers import decode_words, to_text
from connectors.sources import recognise

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def parsed(name: str, source_file: str | None = None):
    with (FIXTURES / name).open("rb") as stream:
        return parse_mail(stream, source_file or name)


def addresses(result, position: int) -> list[tuple[str, str, str | None]]:
    return [(row["role"], row["email"], row["name"]) for row in result.rows.get("mail_addresses", [])
            if row["position"] == position]


def test_takeout_message_names_decode_from_encoded_words_and_last_first_forms():
    result = parsed("takeout_small.mbox")
    assert addresses(result, 1) == [("from", "olivia@example.com", "Olivia Owner"),
                                    ("to", "jan.kowalski@example.org", "Kowalski, Jan"),
                                    ("to", "zoe@example.net", "Zoë Müller")]
    # Unquoted `Kowalski, Jan <addr>` is one person, not two.
    assert addresses(result, 2)[0] == ("from", "jan.kowalski@example.org", "Kowalski, Jan")


def test_raw_latin1_name_decodes_and_a_missing_date_falls_back_to_the_from_line():
    result = parsed("takeout_small.mbox")
    assert addresses(result, 6)[0] == ("from", "renee@example.org", "Renée Lévesque")
    message = next(row for row in result.rows["mail_messages"] if row["position"] == 6)
    assert message["sent_at"].isoformat() == "2026-03-04T10:00:00+00:00"
    assert any(entry.location == "message 6 (byte 1337)" and "From_ line" in entry.reason for entry in result.quarantine)


def test_spam_and_newsletters_are_rows_counted_by_reason_with_no_addresses():
    result = parsed("takeout_small.mbox")
    outcomes = {row["position"]: row["outcome"] for row in result.rows["mail_messages"]}
    assert outcomes == {1: "personal", 2: "personal", 4: "newsletter", 5: "spam", 6: "personal"}
    assert not addresses(result, 4) and not addresses(result, 5)
    notes = [entry.reason for entry in result.quarantine if entry.location == "whole file"]
    assert any(reason.startswith("1 message skipped as spam") for reason in notes)
    assert any(reason.startswith("1 message skipped as newsletters") for reason in notes)


def test_an_unquoted_from_line_in_a_body_splits_like_mailbox_and_its_fragment_is_quarantined():
    result = parsed("takeout_small.mbox")
    assert result.items == 6
    assert [(entry.location, entry.scope) for entry in result.quarantine if entry.scope == "item"] == \
        [("message 3 (byte 759)", "item")]


def test_every_item_is_a_row_or_quarantined():
    for name in ("takeout_small.mbox", "thunderbird_crlf", "no_blank_line.eml", "not_mail.mbox"):
        result = parsed(name)
        assert result.items == len(result.rows.get("mail_messages", [])) + result.quarantined, name


def test_replies_carry_the_hash_of_the_message_they_answer_and_no_raw_ids():
    rows = parsed("takeout_small.mbox").rows["mail_messages"]
    first, reply = rows[0], rows[1]
    assert reply["replies_to_hash"] == first["message_id_hash"] and len(first["message_id_hash"]) == 32
    assert "@" not in repr(rows)


def test_crlf_mbox_reads_dates_in_utc_and_quarantines_a_truncated_last_message():
    result = parsed("thunderbird_crlf")
    first = result.rows["mail_messages"][0]
    assert first["sent_at"].isoformat() == "2023-01-05T15:20:30+00:00"
    assert addresses(result, 1) == [("from", "jose@example.org", "José García")]  # B-encoded ISO-8859-1
    truncated = [entry for entry in result.quarantine if entry.scope == "item"]
    assert [(entry.location, entry.reason) for entry in truncated] == [
        ("message 3 (byte 337)", "the file ends inside this message's headers (truncated)")]


def test_a_noreply_sender_is_skipped_as_a_robot():
    outcomes = [row["outcome"] for row in parsed("thunderbird_crlf").rows["mail_messages"]]
    assert outcomes == ["personal", "no_reply"]


def test_headers_end_where_a_line_is_not_a_header_even_without_a_blank_line():
    result = parsed("no_blank_line.eml")
    assert addresses(result, 1) == [("from", "jane.doe@example.com", "Doe, Jane"),
                                    ("to", "sam@example.com", "Sam"), ("to", "kim.lee@example.com", "Lee, Kim")]


def test_a_non_mail_file_named_mbox_is_one_quarantined_file():
    result = parsed("not_mail.mbox")
    assert result.items == 1 and result.quarantined == 1
    assert result.quarantine[0].scope == "file" and result.quarantine[0].reason.startswith("not a mail file")


def test_an_overlong_header_costs_its_message_only_and_names_its_byte_offset():
    huge = b"From a Mon Mar  2 09:00:00 2026\nReferences: " + b"<x@y> " * 400_000 + b"\n\nbody\n"
    good = b"From b Mon Mar  2 09:00:00 2026\nFrom: a@example.org\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n\nbody\n"
    result = parse_mail(io.BytesIO(huge + good), "big.mbox")
    assert result.items == 2 and len(result.rows["mail_messages"]) == 1
    assert result.quarantine[0].location == "message 1 (byte 0)"
    assert "longer than 1024 KB" in result.quarantine[0].reason


def test_a_missing_date_without_a_from_line_date_is_quarantined_without_quoting_the_message():
    data = b"From someone\nFrom: Secret Person <secret@example.org>\nDate: not a date at all\n\n"
    result = parse_mail(io.BytesIO(data), "x.mbox")
    assert result.quarantined == 1
    reason = result.quarantine[0].reason
    assert reason == "the Date header is not a date, and no date on its From_ line: when it was sent is unknown"
    assert "secret" not in reason.lower()


def test_nul_bytes_and_mixed_line_ends_do_not_stop_the_file():
    data = (b"From a Mon Mar  2 09:00:00 2026\r\nFrom: A\x00na <ana@example.org>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n\n"
            b"From b Mon Mar  2 10:00:00 2026\nFrom: bo@example.org\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nx\n")
    result = parse_mail(io.BytesIO(data), "mixed.mbox")
    assert [row["email"] for row in result.rows["mail_addresses"]] == ["ana@example.org", "bo@example.org"]
    assert result.rows["mail_addresses"][0]["name"] == "Ana"


def test_a_drafts_folder_is_skipped_and_a_sent_folder_marks_sent_mail():
    data = b"From a Mon Mar  2 09:00:00 2026\nFrom: me@example.org\nTo: you@example.org\nDate: Mon, 2 Mar 2026 09:00:00 +0000\n\n"
    assert parse_mail(io.BytesIO(data), "Mail/Local Folders/Drafts").rows["mail_messages"][0]["outcome"] == "draft"
    sent = parse_mail(io.BytesIO(data), "Mail/Sent.mbox/mbox").rows["mail_messages"][0]
    assert sent["in_sent"] and sent["outcome"] == "personal"


def test_address_lists_with_groups_comments_and_own_address_as_name():
    found = parse_addresses('undisclosed-recipients:;, "jo@example.org" <jo@example.org>, '
                            'Team: a@example.org, B (Bee) <b@example.org>;, c@example.org (Cee Cee)')
    assert [(a.email, a.name) for a in found] == [("jo@example.org", None), ("a@example.org", None),
                                                  ("b@example.org", "B"), ("c@example.org", "Cee Cee")]


def test_encoded_words_split_inside_a_character_still_decode():
    # "é" is C3 A9 in UTF-8, split over two adjacent words as some mailers do.
    assert decode_words("=?UTF-8?Q?Ren=C3?= =?UTF-8?Q?=A9e?=") == "Renée"
    assert to_text(b"Ren\xc3\xa9e") == "Renée" and to_text(b"Ren\xe9e") == "Renée"


def test_mail_files_are_recognised_by_name_and_content():
    assert recognise("Takeout/Mail/All mail Including Spam and Trash.mbox", b"", False) == "mail"
    assert recognise("Library/Mail/Inbox.mbox/mbox", b"", False) == "mail"
    assert recognise("Thunderbird/Mail/Local Folders/Inbox", b"From - Mon Mar  2\nX-Mozilla-Status: 0001\n", False) == "mail"
    assert recognise("Thunderbird/Mail/Local Folders/Inbox.msf", b"// <!-- <mdb:mork:z", False) == "not_used"
    assert recognise("Maildir/cur/1700000000.M1P2.host:2,S", b"Return-Path: <a@b.example>\nFrom: a@b.example\n", False) == "mail"
    assert recognise("notes/cur/readme", b"hello there\n", False) == "not_used"


def test_a_body_larger_than_the_window_is_skipped_without_being_held():
    from connectors.mail.split import RawMessage, iter_mbox
    body = b"A" * 200_000 + b"\n"
    data = (b"From a x\nFrom: a@example.org\n\n" + body) * 3
    found = [item for item in iter_mbox(io.BytesIO(data), chunk_bytes=4096) if isinstance(item, RawMessage)]
    assert [message.offset for message in found] == [0, len(data) // 3, 2 * len(data) // 3]


def test_a_last_message_without_a_body_ending_at_a_line_end_is_read_not_called_truncated():
    """A message may have no body; Python's own test data and enmime's end files at the headers."""
    result = parsed("header_only_last.mbox")
    assert [row["position"] for row in result.rows["mail_messages"]] == [1, 2]
    assert not [entry for entry in result.quarantine if entry.scope == "item"]
    assert addresses(result, 2)[0] == ("from", "bo@example.org", "Bo")


def test_a_date_with_fractional_seconds_and_an_unsigned_zone_is_read():
    """As a Squeak list archive in Apache mime4j's tests writes it: `22:23:35.882 0000`."""
    result = parsed("fractional_seconds.eml")
    [message] = result.rows["mail_messages"]
    assert message["sent_at"].isoformat() == "2012-07-17T22:23:35+00:00"
    assert not result.quarantine


def test_a_comment_in_an_empty_group_is_not_the_name_of_the_next_address():
    """`withheld: (list hidden);, <addr>`, as in a mail-parser (Rust) issue's test message."""
    result = parsed("comment_in_empty_group.eml")
    assert addresses(result, 1) == [("from", "sam@example.org", "Sam"), ("to", "kim@example.org", None),
                                    ("to", "lee@example.org", None)]


def test_a_robot_word_after_the_name_of_what_sends_it_is_a_robot_but_a_person_called_daemon_is_not():
    """`bugzilla-daemon@` (Thunderbird's test mail) and `calendar-notification@` never become contacts."""
    outcomes = [row["outcome"] for row in parsed("daemon_sender.mbox").rows["mail_messages"]]
    assert outcomes == ["no_reply", "personal", "no_reply"]


def test_bare_addresses_without_commas_between_them_are_several_people():
    """`From: a@x b@y`, as a Subversion hook in the Ruby mail gem's tests writes it."""
    result = parsed("addresses_without_commas.eml")
    assert addresses(result, 1) == [("from", "kim@example.org", None), ("from", "lee@example.org", None),
                                    ("to", "owner@example.com", None)]
