"""Relationships over time on a hand-made inbox: a colleague who moved away in spring (Fiona),
a collaborator since June (Riley), a mentor seen every quarter (Quinn), a steady fortnightly
tie with a birthday next week (Sam) and a monthly team meeting; as of 2026-11-20."""
from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest

from connectors.cadence import parse_cadence
from tests.conftest import FIXTURES, failed_checks, materialize_all, rows
from warehouse.config import ScoringConfig, set_sql_variables
from warehouse.models import load_models

INBOX = FIXTURES / "time" / "inbox"
AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("time") / "strongties.duckdb"
    result = materialize_all(INBOX, path, AS_OF)
    assert result.success
    assert failed_checks(result) == []
    return path


def person_id(warehouse: Path, name: str) -> str:
    return rows(warehouse, "SELECT person_id FROM person WHERE display_name = ?", [name])[0][0]


def test_history_has_the_last_24_month_ends(warehouse):
    months = rows(warehouse, "SELECT DISTINCT month FROM tie_strength_history ORDER BY month")
    assert len(months) == 24
    assert str(months[0][0]) == "2024-12-01" and str(months[-1][0]) == "2026-11-01"


def test_current_month_of_the_history_equals_tie_strength(warehouse):
    differences = rows(warehouse, """
        SELECT t.person_id FROM tie_strength AS t
        FULL JOIN (SELECT * FROM tie_strength_history WHERE month = DATE '2026-11-01') AS h USING (person_id)
        WHERE h.score IS DISTINCT FROM t.score OR h.rank IS DISTINCT FROM t.rank""")
    assert differences == []


def test_a_past_month_end_equals_tie_strength_computed_on_that_date(warehouse, tmp_path):
    """The history's row for 31 May 2026 is tie_strength's SQL run as of that day, on the
    contacts up to it: the same features and weights with the as-of date moved."""
    from assets.resource import working_path_for

    models = {model.name: model for model in load_models()}
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{warehouse}' AS published (READ_ONLY)")
        connection.execute("CREATE TABLE interaction AS SELECT * FROM published.interaction "
                           "WHERE occurred_at::date <= DATE '2026-05-31'")
        connection.execute("CREATE TABLE person AS SELECT * FROM published.person")
        connection.execute(f"ATTACH '{working_path_for(warehouse)}' AS working (READ_ONLY)")
        # Mail asked for an answer by then, answered only if the answer came by then.
        connection.execute("CREATE TABLE int_mail_replies AS SELECT * REPLACE ("
                           "if(answered_day <= DATE '2026-05-31', answered_at, NULL) AS answered_at, "
                           "if(answered_day <= DATE '2026-05-31', answered_day, NULL) AS answered_day) "
                           "FROM working.int_mail_replies WHERE sent_day <= DATE '2026-05-31'")
        connection.execute("CREATE TABLE int_tie_trends (person_id VARCHAR, trend VARCHAR, "
                           "strength_6_months_ago DOUBLE, rank_share_6_months_ago DOUBLE)")
        set_sql_variables(connection, ScoringConfig(), "2026-05-31")
        connection.execute(f"CREATE TABLE int_tie_features AS {models['int_tie_features'].sql}")
        then = dict(connection.execute(f"SELECT person_id, score FROM ({models['tie_strength'].sql})").fetchall())
        history = dict(connection.execute("SELECT person_id, score FROM published.tie_strength_history "
                                          "WHERE month = DATE '2026-05-01'").fetchall())
    assert then == history
    assert len(history) == 7  # Riley was not met until June


def test_colleague_who_moved_away_is_fading_and_listed(warehouse):
    fiona = person_id(warehouse, "Fiona Fade")
    trend, six_months_ago, score, explanation = rows(
        warehouse, "SELECT trend, strength_6_months_ago, score, explanation FROM tie_strength WHERE person_id = ?", [fiona])[0]
    assert trend == "fading" and six_months_ago > score
    assert "six months ago" in explanation
    fading = rows(warehouse, "SELECT person_id, why FROM fading_ties ORDER BY rank")
    assert fading[0][0] == fiona
    assert "down from" in fading[0][1]


def test_new_collaborator_is_rising_and_steady_ties_are_steady(warehouse):
    trends = dict(rows(warehouse, "SELECT display_name, trend FROM tie_strength"))
    assert trends["Riley Rise"] == "rising"
    assert trends["Sam Steady"] == "steady"
    assert trends["Ana Lima"] == "steady"


def test_quarterly_mentor_rhythm_is_the_median_gap_and_overdue(warehouse):
    # Mentoring on the 15th of Oct, Jan, Apr and Jul from 2024-10-15 to 2026-07-15: gaps of
    # 92, 90, 91, 92, 92, 90 and 91 days, median 91; 128 days since the last one.
    quinn = person_id(warehouse, "Quinn Quarter")
    every_days, since, why, source = rows(
        warehouse, "SELECT every_days, days_since_last_contact, why, rhythm_source FROM reconnect WHERE person_id = ?",
        [quinn])[0]
    assert (every_days, since, source) == (91, 128, "usual")
    assert why.startswith("usually every 3 months; 4 months since your last one-on-one")


def test_ties_within_their_rhythm_are_not_on_reconnect(warehouse):
    listed = {name for (name,) in rows(warehouse, "SELECT display_name FROM reconnect")}
    assert "Riley Rise" not in listed and "Ana Lima" not in listed


def test_strong_tie_with_a_birthday_next_week_is_flagged(warehouse):
    birthday, why = rows(warehouse, "SELECT upcoming_birthday, why FROM reconnect WHERE display_name = 'Sam Steady'")[0]
    assert str(birthday) == "2026-11-28"
    assert "birthday on 28 Nov" in why


def test_owner_set_rhythm_overrides_the_usual_one(warehouse):
    from assets.resource import working_path_for

    # cadence.csv asks for Cleo every 7 days; the team meets monthly.
    every_days, source = rows(working_path_for(warehouse), """
        SELECT k.every_days, k.rhythm_source FROM int_keep_in_touch AS k JOIN person USING (person_id)
        WHERE display_name = 'Cleo Park'""")[0]
    assert (every_days, source) == (7, "yours")


def test_bad_cadence_rows_are_quarantined_without_quoting_names(warehouse):
    found = dict(rows(warehouse, "SELECT location, reason FROM quarantine WHERE source_file = 'cadence.csv'"))
    assert "matches nobody" in found["row 2 (line 3)"]
    assert "-5 is outside" in found["row 3 (line 4)"]
    assert "99999 is outside" in found["row 4 (line 5)"]
    assert "you (the owner)" in found["row 5 (line 6)"]
    assert not any("Nobody" in reason or "@" in reason for reason in found.values())


def test_meeting_prep_looks_two_weeks_ahead_in_the_owners_zone(warehouse):
    meetings = rows(warehouse, "SELECT summary, strftime(starts_local, '%H:%M'), timezone, shared_history "
                               "FROM meeting_prep WHERE attendee = 'Sam Steady' AND summary = 'Planning'")
    assert meetings and meetings[0][1:3] == ("10:00", "America/New_York")  # 15:00 UTC in New York
    assert "1 referral between you" in meetings[0][3]
    assert rows(warehouse, "SELECT count(*) FROM meeting_prep WHERE summary = 'Offsite'") == [(0,)]


def test_calendar_meetings_keep_the_calendars_own_zone():
    from datetime import datetime, timezone

    from connectors.ics import parse_calendar

    def zones(header: bytes) -> set:
        text = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + header + b"BEGIN:VEVENT\r\nUID:a@example.com\r\n"
                b"DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:Sync\r\nEND:VEVENT\r\n"
                b"END:VCALENDAR\r\n")
        result = parse_calendar(io.BytesIO(text), "work.ics", datetime(2025, 1, 1, tzinfo=timezone.utc),
                                datetime(2027, 1, 1, tzinfo=timezone.utc))
        return {row["calendar_timezone"] for row in result.rows["calendar_meetings"]}

    assert zones(b"X-WR-TIMEZONE:Europe/Paris\r\n") == {"Europe/Paris"}
    assert zones(b"X-WR-TIMEZONE:W. Europe Standard Time\r\n") == {"Europe/Berlin"}  # Outlook writes Windows names
    assert zones(b"X-WR-TIMEZONE:Mars/Olympus_Mons\r\n") == {None}
    assert zones(b"") == {None}


def test_meeting_prep_uses_the_zone_most_calendars_name_when_the_owner_gives_none(warehouse):
    """The fixture's owner.yaml says New York; without it, the zone of most calendar files wins
    (two files say Paris, one Chicago), and UTC when no calendar names one."""
    from assets.resource import working_path_for

    models = {model.name: model for model in load_models()}

    def zone_with(calendar_zones: list[str | None]) -> set:
        with duckdb.connect() as connection:
            connection.execute(f"ATTACH '{working_path_for(warehouse)}' AS work (READ_ONLY)")
            for table in ("int_meeting_attendance", "interaction", "int_person_ids", "person", "tie_strength"):
                connection.execute(f"CREATE TABLE {table} AS SELECT * FROM work.{table}")
            connection.execute("CREATE TABLE stg_owner AS SELECT * REPLACE (NULL::VARCHAR AS timezone) FROM work.stg_owner")
            connection.execute("CREATE TABLE stg_calendar_meetings (source_file VARCHAR, calendar_timezone VARCHAR)")
            connection.executemany("INSERT INTO stg_calendar_meetings VALUES (?, ?)",
                                   [(f"calendar-{number}.ics", zone) for number, zone in enumerate(calendar_zones)])
            set_sql_variables(connection, ScoringConfig(), AS_OF)
            return {row[0] for row in connection.execute(f"SELECT timezone FROM ({models['meeting_prep'].sql})").fetchall()}

    assert zone_with(["America/Chicago", "Europe/Paris", "Europe/Paris", None, None]) == {"Europe/Paris"}
    assert zone_with([None]) == {"UTC"}
    # The fixture's own calendar names Paris; its owner.yaml's New York comes first.
    assert rows(warehouse, "SELECT DISTINCT timezone FROM meeting_prep") == [("America/New_York",)]


def test_person_timeline_counts_contacts_by_month_and_channel(warehouse):
    riley = person_id(warehouse, "Riley Rise")
    june = rows(warehouse, "SELECT channel, contacts, meeting_hours FROM person_timeline "
                           "WHERE person_id = ? AND month = DATE '2026-06-01'", [riley])
    assert june == [("meeting", 5, 7.5)]  # five Mondays in June 2026, 90 minutes each


def test_reconnect_reminders_are_written_beside_the_warehouse(warehouse):
    from icalendar import Calendar

    calendar = Calendar.from_ical(warehouse.with_name("strongties.reconnect.ics").read_bytes())
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    names = [name for (name,) in rows(warehouse, "SELECT display_name FROM reconnect ORDER BY rank")]
    assert summaries == [f"Reconnect with {name}" for name in names]


def test_cadence_every_days_must_be_a_whole_number_in_range():
    result = parse_cadence(io.BytesIO(b"person,every_days\na@example.com,14\nb@example.com,14.0\n"
                                      b"c@example.com,2.5\nd@example.com,0\n,30\nZoe Blue,abc\n"), "cadence.csv")
    assert [row["every_days"] for row in result.rows["cadence"]] == [14, 14]
    reasons = [entry.reason for entry in result.quarantine]
    assert len(reasons) == 4
    assert "2.5 is not a whole number" in reasons[0]
    assert "0 is outside" in reasons[1]
    assert "person is empty" in reasons[2]
    assert "Zoe" not in reasons[3] and "abc" not in reasons[3]


def test_history_and_fading_pages_chart_each_tie_by_id_unless_names_are_asked_for(warehouse):
    from assets.metrics import previews
    from assets.resource import working_path_for

    def records(value) -> list[dict]:
        return [dict(record.data) for record in value.records]

    with duckdb.connect(str(working_path_for(warehouse)), read_only=True) as connection:
        strongest = records(previews.tie_strength_history(connection, False)["strongest_ties_over_24_months"])
        core = records(previews.core_list(connection, False)["strength_over_24_months"])
        fading_anonymous = previews.fading_ties(connection, False)
        fading_named = records(previews.fading_ties(connection, True)["strength_now_and_lost"])
    assert [row["rank"] for row in strongest] == sorted(row["rank"] for row in strongest) and strongest[0]["rank"] == 1
    assert all(len(row["strength"]) == 24 and row["since"] == "2024-12" for row in strongest + core)
    assert len(core) == len(rows(warehouse, "SELECT * FROM core_list"))
    # Riley was first met in June 2026: the line starts with 18 months of no score.
    riley = person_id(warehouse, "Riley Rise")
    riley_line = next(row["strength"] for row in strongest + core if row["person"] == riley)
    assert riley_line.startswith("·" * 18) and "·" not in riley_line[18:]
    assert fading_named[0]["person"] == "Fiona Fade" and fading_named[0]["peak"] > fading_named[0]["now"]
    shown = repr([records(value) for value in fading_anonymous.values()]) + repr(strongest + core)
    assert not any(name in shown for (name,) in rows(warehouse, "SELECT display_name FROM person"))
