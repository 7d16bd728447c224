"""The LinkedIn connector on small fixtures that reproduce each export era and each quirk."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from connectors.inbox import LINKEDIN_FILE_KINDS
from connectors.linkedin import (
    FILE_SPECS,
    MAX_LINE_CHARS,
    parse_linkedin_datetime,
    parse_linkedin_file,
)
from connectors.textfile import neutralize_csv_cell

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
NOT_A_DATE = "is not a date as LinkedIn writes them (16 Dec 2024, 1/8/18, 6:14 PM month first, 2024-12-16 18:24:37 UTC)"


def read(name: str, kind: str):
    with (FIXTURES / name).open("rb") as stream:
        result = parse_linkedin_file(stream, f"export/{name}", kind)
    assert_conserved(result)
    return result


def read_bytes(data: bytes, kind: str):
    result = parse_linkedin_file(io.BytesIO(data), "inbox/file.csv", kind)
    assert_conserved(result)
    return result


def assert_conserved(result) -> None:
    rows = sum(len(table) for table in result.rows.values())
    assert result.items == rows + result.quarantined


def only_table(result, table: str) -> list[dict]:
    assert set(result.rows) <= {table}
    return result.rows.get(table, [])


def test_every_inbox_kind_has_a_spec():
    assert set(LINKEDIN_FILE_KINDS.values()) == set(FILE_SPECS)


# --- Connections -------------------------------------------------------------------------------

def test_2024_connections_skip_the_notes_preamble_and_normalise_urls_emails_and_dates():
    result = read("connections_2024.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert result.items == 3 and not result.quarantine
    first, second, third = rows
    assert first == {
        "source_file": "export/connections_2024.csv", "position": 1,
        "first_name": "Wren", "last_name": "Halloway",
        "profile_url": "https://www.linkedin.com/in/wren-halloway", "email": None,
        "company": "Quillfeather, Ltd.", "position_title": "Staff Engineer", "connected_on": "2024-12-16",
    }
    assert second["profile_url"] == "https://www.linkedin.com/in/oskar-brightwater"
    assert second["email"] == "oskar.b@example.com"
    assert second["connected_on"] == "2023-07-04"
    assert third["profile_url"] is None and third["position"] == 3


def test_cells_that_look_like_formulas_are_kept_as_text():
    rows = read("connections_2024.csv", "linkedin_connections").rows["linkedin_connections"]
    assert rows[1]["company"] == '=HYPERLINK("http://evil.example")'
    assert rows[1]["position_title"] == "+Growth Lead"
    assert rows[2]["company"] == "@Marlowe Labs"
    assert rows[2]["position_title"] == "-Founder"


def test_2018_connections_have_no_url_column_and_month_first_dates():
    result = read("connections_2018.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert not result.quarantine
    assert [row["connected_on"] for row in rows] == ["2018-01-08", "2017-11-30"]
    assert all(row["profile_url"] is None for row in rows)
    assert rows[0]["email"] == "tobias@example.org"
    assert rows[1]["position_title"] == "Director, Research"


def test_connections_resaved_by_excel_in_windows_1252_with_crlf_read_whole():
    result = read("connections_excel_crlf.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    # One note for the file, none per row: no line of it was UTF-8.
    assert [(entry.location, entry.scope) for entry in result.quarantine] == [("whole file", "property")]
    assert "read as Windows-1252" in result.quarantine[0].reason
    assert rows[0]["first_name"] == "José" and rows[0]["last_name"] == "Nuñez"
    assert rows[0]["company"] == "Café Ferro" and rows[0]["position_title"] == "Barista – Lead"
    assert [row["connected_on"] for row in rows] == ["2024-06-18", "2023-01-02"]


def test_connections_with_a_byte_order_mark_match_the_first_column():
    result = read("connections_excel_bom.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert not result.quarantine
    assert rows[0]["first_name"] == "Zoë" and rows[0]["connected_on"] == "2024-06-18"


def test_connections_saved_with_semicolons_by_a_european_excel_read_whole():
    result = read("connections_semicolon.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert not result.quarantine
    assert rows[0]["company"] == "Vogt, Kessler GmbH"
    assert rows[0]["profile_url"] == "https://www.linkedin.com/in/lena-vogt"


def test_malformed_connection_rows_are_quarantined_one_by_one_and_the_rest_is_kept():
    result = read("connections_malformed.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert [row["first_name"] for row in rows] == ["Wren", "Cato"]
    assert [row["position"] for row in rows] == [1, 8]
    assert result.items == 8  # the preamble and the blank line are not rows
    reasons = {entry.location: entry.reason for entry in result.quarantine}
    assert reasons == {
        "row 2 (line 7)": "has 1 field where the header has 7",
        "row 3 (line 8)": "empty row (only separators)",
        "row 4 (line 9)": f"Connected On {NOT_A_DATE}",
        "row 5 (line 10)": f"Connected On {NOT_A_DATE}",
        "row 6 (line 11)": "has 8 fields where the header has 7",
        "row 7 (line 12)": "Connected On is empty",
    }
    assert all(entry.source_file == "export/connections_malformed.csv" for entry in result.quarantine)


def test_missing_required_columns_quarantine_every_row_naming_the_columns():
    result = read("connections_missing_columns.csv", "linkedin_connections")
    assert not result.rows
    assert result.items == 2
    assert [entry.location for entry in result.quarantine] == ["row 1 (line 2)", "row 2 (line 3)"]
    assert {entry.reason for entry in result.quarantine} == {"missing required column(s): Connected On, First Name"}


def test_header_only_with_missing_columns_is_one_quarantined_item():
    result = read_bytes(b"Last Name,Company\n", "linkedin_connections")
    assert result.items == 1
    assert result.quarantine[0].location == "whole file"
    assert "Connected On, First Name" in result.quarantine[0].reason


def test_columns_match_by_name_in_any_order_and_case():
    data = b"connected on,COMPANY,last name,First Name\n16 Dec 2024,Globex,Brenn,Cato\n"
    rows = read_bytes(data, "linkedin_connections").rows["linkedin_connections"]
    assert rows[0]["first_name"] == "Cato" and rows[0]["company"] == "Globex"
    assert rows[0]["connected_on"] == "2024-12-16" and rows[0]["profile_url"] is None


def test_lone_carriage_return_line_endings_read_whole():
    data = b"First Name,Last Name,Connected On\r" b"Cato,Brenn,16 Dec 2024\r" b"Pia,Lund,17 Dec 2024\r"
    result = read_bytes(data, "linkedin_connections")
    assert not result.quarantine
    assert [row["first_name"] for row in result.rows["linkedin_connections"]] == ["Cato", "Pia"]


def test_utf16_tab_separated_unicode_text_from_excel_reads_whole():
    text = "First Name\tLast Name\tConnected On\r\nŁucja\tBrenn\t18-Jun-24\r\n"
    result = read_bytes(text.encode("utf-16"), "linkedin_connections")
    assert not result.quarantine
    assert result.rows["linkedin_connections"][0]["first_name"] == "Łucja"


def test_a_stream_with_only_read_is_read_whole_past_the_sniffed_head():
    class ReadOnly:
        def __init__(self, data: bytes):
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    rows = 5000  # about 120 kB: the rows go on well past the bytes sniffed first
    stream = ReadOnly(b"First Name,Last Name,Connected On\n" + b"Cato,Brenn,16 Dec 2024\n" * rows)
    result = parse_linkedin_file(stream, "x.zip!Connections.csv", "linkedin_connections")
    assert not result.quarantine and len(result.rows["linkedin_connections"]) == rows


# --- Bad input -----------------------------------------------------------------------------------

def test_binary_garbage_is_one_quarantined_item():
    garbage = bytes(range(256)) * 40
    result = read_bytes(garbage, "linkedin_connections")
    assert result.items == 1 and not result.rows
    assert result.quarantine[0].location == "whole file"
    assert "binary" in result.quarantine[0].reason


def test_an_empty_file_is_one_quarantined_item():
    result = read_bytes(b"", "linkedin_messages")
    assert result.items == 1
    assert result.quarantine[0].reason.startswith("empty file; expected a header with")


def test_bytes_that_are_no_text_encoding_are_replaced_in_their_row_with_a_note():
    data = (b"First Name,Last Name,Connected On\n"
            b"Cato,Br\x81nn,16 Dec 2024\n"
            b"Pia,Lund,17 Dec 2024\n")
    result = read_bytes(data, "linkedin_connections")
    assert [row["last_name"] for row in result.rows["linkedin_connections"]] == ["Br\ufffdnn", "Lund"]
    assert [(entry.location, entry.scope) for entry in result.quarantine] == [("row 1 (line 2)", "property")]
    assert "replaced by U+FFFD" in result.quarantine[0].reason


def test_utf8_and_windows_1252_mixed_in_one_file_both_decode():
    data = ("First Name,Last Name,Connected On\nJosé,A,16 Dec 2024\n".encode("utf-8")
            + "Zoë,B,17 Dec 2024\n".encode("cp1252"))
    rows = read_bytes(data, "linkedin_connections").rows["linkedin_connections"]
    assert [row["first_name"] for row in rows] == ["José", "Zoë"]


def test_nul_bytes_after_the_start_quarantine_their_row():
    head = b"First Name,Last Name,Connected On\n" + b"Cato,Brenn,16 Dec 2024\n" * 4000
    result = read_bytes(head + b"Pia,\x00\x00,17 Dec 2024\n", "linkedin_connections")
    assert len(result.rows["linkedin_connections"]) == 4000
    assert result.quarantine[0].location == "row 4001 (line 4002)"


def test_an_unclosed_quote_at_the_end_is_quarantined():
    data = b'First Name,Last Name,Connected On\nCato,Brenn,16 Dec 2024\nPia,"Lund,17 Dec 2024\n'
    result = read_bytes(data, "linkedin_connections")
    assert len(result.rows["linkedin_connections"]) == 1
    assert result.quarantine[0].location == "row 2 (line 3)"
    assert result.quarantine[0].reason == "has 2 fields where the header has 3"


def test_a_stream_that_breaks_midway_keeps_what_was_read_and_quarantines_the_rest():
    class BreaksAfterStart(io.RawIOBase):
        def __init__(self):
            self.data = io.BytesIO(b"First Name,Last Name,Connected On\n" + b"Cato,Brenn,16 Dec 2024\n" * 5000)
            self.served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.served > 70_000:
                raise OSError("Bad CRC-32")
            count = self.data.readinto(buffer)
            self.served += count
            return count

    result = parse_linkedin_file(io.BufferedReader(BreaksAfterStart()), "x.zip!Connections.csv", "linkedin_connections")
    assert_conserved(result)
    assert 0 < len(result.rows["linkedin_connections"]) < 5000
    assert result.quarantine[-1].reason.startswith("the rest of the file cannot be read")


def test_a_line_longer_than_any_export_row_is_cut_quarantined_and_reading_goes_on():
    data = (b"First Name,Last Name,Connected On\n" + b"x" * (MAX_LINE_CHARS + 10) + b"\n"
            + b"Pia,Lund,17 Dec 2024\n")
    result = read_bytes(data, "linkedin_connections")
    assert [row["first_name"] for row in result.rows["linkedin_connections"]] == ["Pia"]
    assert result.quarantine[0].location == "row 1 (line 2)"
    assert "line longer than" in result.quarantine[0].reason


def test_a_file_of_another_kind_gets_its_rows_quarantined_naming_the_missing_columns():
    data = b"Extension,Number,Type\n+44,20 5550 0100,Mobile\n"
    result = read_bytes(data, "linkedin_connections")
    assert [(entry.location, entry.reason) for entry in result.quarantine] == [
        ("row 1 (line 2)", "missing required column(s): Connected On, First Name, Last Name")]


def test_lines_typed_above_the_header_are_not_rows():
    data = b"My export, cleaned up\n\nsee notes\nFirst Name,Last Name,Connected On\nCato,Brenn,16 Dec 2024\n"
    result = read_bytes(data, "linkedin_connections")
    assert result.items == 1 and not result.quarantine
    assert result.rows["linkedin_connections"][0]["position"] == 1


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_linkedin_file(io.BytesIO(b""), "x.csv", "linkedin_profile")


# --- Messages ------------------------------------------------------------------------------------

def test_june_2024_messages_without_draft_columns_keep_no_content():
    result = read("messages_2024_jun.csv", "linkedin_messages")
    rows = only_table(result, "linkedin_messages")
    assert not result.quarantine
    first, second = rows
    assert first == {
        "source_file": "export/messages_2024_jun.csv", "position": 1,
        "conversation_id": "2-abc==", "sender_name": "Wren Halloway",
        "sender_url": "https://www.linkedin.com/in/wren-halloway",
        "recipient_names": ["Oskar Brightwater"],
        "recipient_urls": ["https://www.linkedin.com/in/oskar-brightwater"],
        "sent_at": "2024-06-16T18:24:37+00:00", "folder": "INBOX", "is_draft": False,
        "direction": None, "subject_present": True, "content_chars": len("Lunch on Friday,\r\nat noon?"),
    }
    assert second["subject_present"] is False and second["folder"] is None
    assert not any("Lunch" in str(value) for row in rows for value in row.values())


def test_december_2024_messages_split_recipients_and_read_draft_flags():
    rows = read("messages_2024_dec.csv", "linkedin_messages").rows["linkedin_messages"]
    assert rows[0]["recipient_names"] == ["Oskar Brightwater", "Ines Marlowe"]
    assert rows[0]["recipient_urls"] == ["https://www.linkedin.com/in/oskar-brightwater",
                                         "https://www.linkedin.com/in/ines-marlowe"]
    assert rows[0]["folder"] == "ARCHIVE" and rows[0]["is_draft"] is False
    assert rows[1]["is_draft"] is True and rows[1]["sent_at"] == "2024-12-17T08:00:00+00:00"


def test_messages_with_an_attachments_column_read_whole():
    data = (b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,"
            b"CONTENT,FOLDER,ATTACHMENTS\n"
            b"2-x==,,Cato Brenn,https://www.linkedin.com/in/cato,Pia Lund,https://www.linkedin.com/in/pia,"
            b"2024-12-16 18:24:37 UTC,,See file,INBOX,https://www.linkedin.com/dms/file\n")
    result = read_bytes(data, "linkedin_messages")
    assert not result.quarantine
    assert result.rows["linkedin_messages"][0]["content_chars"] == len("See file")


def test_2018_messages_keep_their_direction_and_read_month_first_times():
    rows = read("messages_2018.csv", "linkedin_messages").rows["linkedin_messages"]
    assert [row["direction"] for row in rows] == ["INCOMING", "OUTGOING"]
    assert [row["sent_at"] for row in rows] == ["2018-10-16T08:36:00+00:00", "2018-10-16T12:01:00+00:00"]
    assert rows[0]["conversation_id"] is None and rows[0]["sender_url"] is None
    assert rows[0]["content_chars"] == len("Good to meet you")


# --- Invitations ---------------------------------------------------------------------------------

def test_2024_invitations_normalise_profile_urls_and_direction():
    result = read("invitations_2024_url.csv", "linkedin_invitations")
    rows = only_table(result, "linkedin_invitations")
    assert not result.quarantine
    assert rows[0]["sent_at"] == "2024-12-15T07:47:00+00:00"
    assert rows[0]["has_message"] is True and rows[1]["has_message"] is False
    assert rows[1]["direction"] == "INCOMING"
    assert rows[1]["sent_at"] == "2024-06-14T17:57:00+00:00"
    assert rows[1]["inviter_url"] == "https://www.linkedin.com/in/cato-brenn"
    assert rows[1]["inviter_urn"] is None


def test_2023_invitations_keep_member_urns_apart_from_urls():
    result = read("invitations_2023_urn.csv", "linkedin_invitations")
    rows = only_table(result, "linkedin_invitations")
    assert rows[0]["inviter_urn"] == "urn:li:member:123456789" and rows[0]["inviter_url"] is None
    assert rows[0]["invitee_urn"] == "urn:li:member:987654321" and rows[0]["invitee_url"] is None
    assert [(entry.location, entry.reason) for entry in result.quarantine] == [
        ("row 2 (line 3)", "Direction is not INCOMING or OUTGOING")]


def test_2018_invitations_have_no_profile_columns():
    rows = read("invitations_2018.csv", "linkedin_invitations").rows["linkedin_invitations"]
    assert rows[0]["sent_at"] == "2018-03-02T09:15:00+00:00"
    assert rows[0]["inviter_url"] is rows[0]["inviter_urn"] is None


# --- Recommendations and endorsements ------------------------------------------------------------

def test_recommendations_received_and_given_share_one_table_with_a_direction():
    received = read("recommendations_received.csv", "linkedin_recommendations_received")
    given = read("recommendations_given.csv", "linkedin_recommendations_given")
    received_rows = only_table(received, "linkedin_recommendations")
    given_rows = only_table(given, "linkedin_recommendations")
    assert received_rows[0]["direction"] == "received" and received_rows[0]["job_title"] == "Analyst"
    assert received_rows[0]["created_at"] == "2023-12-24T05:28:00+00:00"
    assert [row["direction"] for row in given_rows] == ["given", "given"]
    assert [row["created_at"] for row in given_rows] == ["2024-11-27T21:51:00+00:00", "2025-01-03T00:15:00+00:00"]
    assert given_rows[1]["status"] == "HIDDEN"
    assert "text" not in received_rows[0]


def test_endorsements_received_and_given_add_the_missing_url_scheme():
    received = only_table(read("endorsements_received.csv", "linkedin_endorsements_received"), "linkedin_endorsements")
    given = only_table(read("endorsements_given.csv", "linkedin_endorsements_given"), "linkedin_endorsements")
    assert received[0] == {
        "source_file": "export/endorsements_received.csv", "position": 1, "direction": "received",
        "first_name": "Oskar", "last_name": "Brightwater",
        "profile_url": "https://www.linkedin.com/in/oskar-brightwater", "skill": "Python",
        "endorsed_at": "2024-12-07T14:51:07+00:00", "status": "ACCEPTED",
    }
    assert given[0]["direction"] == "given" and given[0]["profile_url"] == "https://www.linkedin.com/in/cato-brenn"


# --- Dates and formula cells ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1/8/18, 6:14 PM", "2018-01-08T18:14:00+00:00"),
    ("12/24/23, 05:28 AM", "2023-12-24T05:28:00+00:00"),
    ("12/24/23, 12:05 AM", "2023-12-24T00:05:00+00:00"),
    ("12/24/23, 12:05 PM", "2023-12-24T12:05:00+00:00"),
    ("6/18/2024 18:14", "2024-06-18T18:14:00+00:00"),
    ("16 Dec 2024", "2024-12-16T00:00:00+00:00"),
    ("18-Jun-24", "2024-06-18T00:00:00+00:00"),
    ("2024-12-16 18:24:37 UTC", "2024-12-16T18:24:37+00:00"),
    ("2024/12/07 14:51:07 UTC", "2024-12-07T14:51:07+00:00"),
    ("2024-12-16T20:24:37+02:00", "2024-12-16T18:24:37+00:00"),
    ("Dec 16, 2024", "2024-12-16T00:00:00+00:00"),
    ("16 Dec, 2024", "2024-12-16T00:00:00+00:00"),
])
def test_every_date_shape_linkedin_and_excel_write_reads_as_utc(text, expected):
    assert parse_linkedin_datetime(text).isoformat() == expected


@pytest.mark.parametrize("text", ["", "yesterday", "13/13/24, 1:00 PM", "16/12/2024", "31 Feb 2024", "1/8/18, 13:14 PM", "16 Foo 2024"])
def test_text_that_is_no_date_reads_as_none(text):
    assert parse_linkedin_datetime(text) is None


@pytest.mark.parametrize("cell, expected", [
    ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
    ("+44 20 5550", "'+44 20 5550"),
    ("-Founder", "'-Founder"),
    ("@handle", "'@handle"),
    ("\tpadded", " padded"),
    ("Wren Halloway", "Wren Halloway"),
    ("", ""),
    (None, ""),
    (-3, "-3"),
])
def test_neutralize_csv_cell_prefixes_formula_triggers(cell, expected):
    assert neutralize_csv_cell(cell) == expected


# --- Every counted row ends somewhere (issue 11) --------------------------------------------------

def test_a_connection_naming_nobody_is_quarantined_and_unusable_cells_are_noted():
    result = read("connections_nameless.csv", "linkedin_connections")
    rows = only_table(result, "linkedin_connections")
    assert [(row["first_name"], row["profile_url"]) for row in rows] == [
        (None, "https://www.linkedin.com/in/no-name"), ("Cato", None)]
    assert [(entry.location, entry.reason, entry.scope) for entry in result.quarantine] == [
        ("row 1 (line 2)", "names nobody: First Name, Last Name and URL are all empty or unusable", "item"),
        ("row 2 (line 3)", "URL is not a LinkedIn profile URL; left out", "property"),
        ("row 2 (line 3)", "names nobody: First Name, Last Name and URL are all empty or unusable", "item"),
        ("row 4 (line 5)", "Email Address is not an email address; left out", "property"),
    ]


@pytest.mark.parametrize("kind, data, reason", [
    ("linkedin_messages", b"FROM,TO,DATE\n,,2024-12-16 18:24:37 UTC\n",
     "names nobody: FROM, TO and their profile URLs are all empty or unusable"),
    ("linkedin_invitations", b"From,To,Sent At,Message,Direction\nCato,,1/8/18 6:14 PM,,OUTGOING\n",
     "names nobody on the other side: To and its profile are empty or unusable"),
    ("linkedin_invitations", b"From,To,Sent At,Message,Direction\n,Cato,1/8/18 6:14 PM,,INCOMING\n",
     "names nobody on the other side: From and its profile are empty or unusable"),
    ("linkedin_recommendations_received", b"First Name,Last Name,Creation Date\n,,1/8/18 6:14 PM\n",
     "names nobody: First Name and Last Name are empty"),
    ("linkedin_endorsements_given",
     b"Endorsement Date,Skill Name,Endorsee First Name,Endorsee Last Name\n2024/12/07 14:51:07 UTC,Python,,\n",
     "names nobody: the first and last names and the profile URL are empty or unusable"),
])
def test_a_row_of_any_kind_naming_nobody_is_quarantined(kind, data, reason):
    result = read_bytes(data, kind)
    assert not result.rows
    assert [(entry.location, entry.reason) for entry in result.quarantine] == [("row 1 (line 2)", reason)]


def test_reasons_never_quote_the_cells_of_a_row():
    data = (b"First Name,Last Name,Connected On\nCato,Brenn,Cato Brenn\n")
    result = read_bytes(data, "linkedin_connections")
    assert result.quarantine and not any("Cato" in entry.reason or "Brenn" in entry.reason for entry in result.quarantine)
    data = b"From,To,Sent At,Message,Direction\nCato,Pia,1/8/18 6:14 PM,,Cato Brenn\n"
    result = read_bytes(data, "linkedin_invitations")
    assert [entry.reason for entry in result.quarantine] == ["Direction is not INCOMING or OUTGOING"]
