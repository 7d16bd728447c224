"""Schemas of the raw tables the ingest step fills from connector rows, one table per kind of row.

Every raw table carries `source_file`, the inbox-relative path the row came from, so that a
changed or removed file's rows can be replaced without touching the others. Which source fills
which table, and what a row of it is, says connectors.sources; the two bookkeeping tables are
described here.
"""
from __future__ import annotations

RAW_TABLES: dict[str, dict[str, str]] = {
    "vcard_cards": {
        "source_file": "VARCHAR", "position": "INTEGER", "line": "INTEGER", "uid": "VARCHAR",
        "full_name": "VARCHAR", "given_name": "VARCHAR", "family_name": "VARCHAR",
        "additional_names": "VARCHAR", "honorific_prefix": "VARCHAR", "honorific_suffix": "VARCHAR",
        "nickname": "VARCHAR", "emails": "VARCHAR[]", "phones": "VARCHAR[]", "org": "VARCHAR",
        "title": "VARCHAR", "birthday": "VARCHAR", "addresses": "VARCHAR[]", "cities": "VARCHAR[]", "postcodes": "VARCHAR[]", "note": "VARCHAR",
        "urls": "VARCHAR[]", "linkedin_url": "VARCHAR", "revision": "VARCHAR", "version": "VARCHAR",
        # KIND (4.0; Apple's equivalents in 3.0): group, org, location, individual; null when unsaid.
        "kind": "VARCHAR", "parser": "VARCHAR",
    },
    "linkedin_connections": {
        "source_file": "VARCHAR", "position": "INTEGER", "first_name": "VARCHAR", "last_name": "VARCHAR",
        "profile_url": "VARCHAR", "email": "VARCHAR", "company": "VARCHAR", "position_title": "VARCHAR",
        "connected_on": "DATE",
    },
    "linkedin_messages": {
        "source_file": "VARCHAR", "position": "INTEGER", "conversation_id": "VARCHAR",
        "sender_name": "VARCHAR", "sender_url": "VARCHAR", "recipient_names": "VARCHAR[]",
        "recipient_urls": "VARCHAR[]", "sent_at": "TIMESTAMPTZ", "folder": "VARCHAR",
        "is_draft": "BOOLEAN", "direction": "VARCHAR", "subject_present": "BOOLEAN", "content_chars": "INTEGER",
    },
    "linkedin_invitations": {
        "source_file": "VARCHAR", "position": "INTEGER", "from_name": "VARCHAR", "to_name": "VARCHAR",
        "sent_at": "TIMESTAMPTZ", "direction": "VARCHAR", "inviter_url": "VARCHAR", "invitee_url": "VARCHAR",
        "inviter_urn": "VARCHAR", "invitee_urn": "VARCHAR", "has_message": "BOOLEAN",
    },
    "linkedin_recommendations": {
        "source_file": "VARCHAR", "position": "INTEGER", "direction": "VARCHAR", "first_name": "VARCHAR",
        "last_name": "VARCHAR", "company": "VARCHAR", "job_title": "VARCHAR", "created_at": "TIMESTAMPTZ",
        "status": "VARCHAR",
    },
    "linkedin_endorsements": {
        "source_file": "VARCHAR", "position": "INTEGER", "direction": "VARCHAR", "first_name": "VARCHAR",
        "last_name": "VARCHAR", "profile_url": "VARCHAR", "skill": "VARCHAR", "endorsed_at": "TIMESTAMPTZ",
        "status": "VARCHAR",
    },
    "linkedin_profile": {
        "source_file": "VARCHAR", "position": "INTEGER", "first_name": "VARCHAR", "last_name": "VARCHAR",
        "maiden_name": "VARCHAR", "full_name": "VARCHAR", "profile_url": "VARCHAR",
    },
    "calendar_events": {
        "source_file": "VARCHAR", "vevent_position": "INTEGER", "line": "INTEGER", "uid": "VARCHAR",
        "occurrences": "INTEGER", "outcome": "VARCHAR",
    },
    "calendar_meetings": {
        "source_file": "VARCHAR", "event_position": "INTEGER", "uid": "VARCHAR", "occurrence_id": "VARCHAR",
        "starts_at": "TIMESTAMPTZ", "ends_at": "TIMESTAMPTZ", "all_day": "BOOLEAN", "duration_minutes": "DOUBLE",
        "status": "VARCHAR", "summary": "VARCHAR", "organizer_email": "VARCHAR", "organizer_name": "VARCHAR",
        "is_recurring": "BOOLEAN", "attendee_count": "INTEGER", "resource_count": "INTEGER",
        "group_count": "INTEGER", "transparency": "VARCHAR", "vevent_position": "INTEGER",
        "calendar_timezone": "VARCHAR",
    },
    "calendar_attendees": {
        "source_file": "VARCHAR", "occurrence_id": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR",
        "partstat": "VARCHAR", "role": "VARCHAR", "is_organizer": "BOOLEAN", "organization": "VARCHAR",
    },
    "mail_messages": {
        "source_file": "VARCHAR", "position": "INTEGER", "byte_offset": "BIGINT", "sent_at": "TIMESTAMPTZ",
        "outcome": "VARCHAR", "in_sent": "BOOLEAN", "recipient_count": "INTEGER", "message_id_hash": "VARCHAR",
        "replies_to_hash": "VARCHAR",
    },
    "mail_addresses": {
        "source_file": "VARCHAR", "position": "INTEGER", "role": "VARCHAR", "email": "VARCHAR", "name": "VARCHAR",
    },
    "referrals": {
        "source_file": "VARCHAR", "position": "INTEGER", "occurred_on": "DATE", "person": "VARCHAR",
        "person_email": "VARCHAR", "person_linkedin_url": "VARCHAR", "person_name": "VARCHAR",
        "direction": "VARCHAR", "kind": "VARCHAR", "known_kind": "BOOLEAN", "value": "INTEGER", "note": "VARCHAR",
    },
    "owner": {
        "source_file": "VARCHAR", "name": "VARCHAR", "emails": "VARCHAR[]", "linkedin_url": "VARCHAR",
        "phones": "VARCHAR[]", "default_region": "VARCHAR", "timezone": "VARCHAR",
    },
    "cadence": {
        "source_file": "VARCHAR", "position": "INTEGER", "line": "INTEGER", "person": "VARCHAR",
        "person_email": "VARCHAR", "person_linkedin_url": "VARCHAR", "person_name": "VARCHAR", "every_days": "INTEGER",
    },
    "decisions": {
        "source_file": "VARCHAR", "position": "INTEGER", "line": "INTEGER", "left_key": "VARCHAR", "right_key": "VARCHAR",
        "decision": "VARCHAR", "left_about": "VARCHAR", "right_about": "VARCHAR",
    },
    # What was read: one row per inbox file or archive member, and what could not be used.
    "inbox_files": {
        "source_file": "VARCHAR", "kind": "VARCHAR", "size_bytes": "BIGINT", "sha256": "VARCHAR",
        "duplicate_of": "VARCHAR", "items": "INTEGER", "quarantined": "INTEGER", "parse_key": "VARCHAR",
        "parse_seconds": "DOUBLE",
        # Size, times and inode (or, for an archive member, its archive's key and its CRC): when
        # they are unchanged next run, `sha256` is taken as it is instead of reading the file again.
        "change_key": "VARCHAR",
    },
    "quarantine": {"source_file": "VARCHAR", "location": "VARCHAR", "reason": "VARCHAR", "scope": "VARCHAR"},
}


# Rewritten whole by every run, not per file.
BOOKKEEPING_TABLES = {
    "inbox_files": "Every file and archive member found in the inbox, with its hash, what tells it unchanged, and item counts.",
    "quarantine": "Input that could not be used: file, place, reason and scope (file, item or property).",
}


def raw_name(table: str) -> str:
    return f"raw_{table}"


def create_statements() -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {raw_name(table)} ("
        + ", ".join(f"{column} {sql_type}" for column, sql_type in columns.items())
        + ")"
        for table, columns in RAW_TABLES.items()
    ]
