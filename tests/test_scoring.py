"""Tie strength on the tiny inbox, computed by hand: a weekly 1:1 for a year, an all-hands,
a referral and a tie gone quiet (tests/fixtures/tiny_inbox, as of 2026-11-20)."""
from __future__ import annotations

import math
from dataclasses import fields
from datetime import date

import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF, TINY_INBOX, copy_of_tiny_inbox, materialize_all, query
from warehouse.config import ScoringConfig, set_sql_variables
from warehouse.models import load_models


def tie(warehouse, name: str) -> dict:
    rows = query(warehouse, "SELECT * FROM tie_strength WHERE display_name = ?", [name])
    assert len(rows) == 1, name
    return rows.iloc[0].to_dict()


def test_feature_weights_sum_to_one_so_the_score_stays_in_range():
    config = ScoringConfig()
    weights = [getattr(config, field.name) for field in fields(config) if field.name.startswith("weight_")]
    assert len(weights) == 10
    assert math.isclose(sum(weights), 1.0)
    assert math.isclose(config.core_weight_tie_strength + config.core_weight_referral_value, 1.0)


def test_recency_decays_with_a_half_life_from_the_last_one_on_one(tiny_warehouse):
    priya = tie(tiny_warehouse, "Priya Shah")
    # The 52nd weekly 1:1 from 24 Nov 2025 falls on 16 Nov 2026: 4 days before as-of.
    assert priya["days_since_last_contact"] == 4
    assert priya["recency"] == pytest.approx(math.exp(-math.log(2) * 4 / 180), abs=1e-6)


def test_one_on_one_time_counts_whole_and_all_hands_time_is_shared(tiny_warehouse):
    priya, sam = tie(tiny_warehouse, "Priya Shah"), tie(tiny_warehouse, "Sam Ortiz")
    assert priya["minutes_together"] == pytest.approx(52 * 30)
    # One hour with ten people (organiser included): 60 minutes shared among the 9 others.
    assert sam["minutes_together"] == pytest.approx(60 / 9, abs=0.05)
    assert priya["time_together"] == pytest.approx(1.0)
    # Logarithmic scaling keeps one busy tie from flattening the rest, yet the gap stays wide.
    assert priya["time_together"] > 3 * sam["time_together"]


def test_reciprocity_balances_initiative_and_shrinks_with_little_evidence(tiny_warehouse):
    priya = tie(tiny_warehouse, "Priya Shah")
    # You organised 52 meetings and wrote once; she wrote once and referred you once.
    assert (priya["initiated_by_owner"], priya["initiated_by_them"]) == (53, 2)
    balance, evidence = 1 - 51 / 55, 55 / 57
    assert priya["reciprocity"] == pytest.approx(balance * evidence, abs=1e-6)


def test_weekly_one_on_one_outranks_one_all_hands_and_explains_itself(tiny_warehouse):
    ranking = query(tiny_warehouse, "SELECT display_name, evidence, explanation FROM tie_strength ORDER BY rank")
    names = list(ranking["display_name"])
    assert names[0] == "Priya Shah"
    assert names.index("Sam Ortiz") < names.index("Omar Haddad")
    priya_why = ranking.loc[0, "explanation"]
    assert priya_why.startswith("13 one-on-ones in the last 90 days, you organised 13")
    assert "referred you once (job offer)" in priya_why
    assert "known 7 years" in priya_why
    omar = ranking[ranking["display_name"] == "Omar Haddad"].iloc[0]
    assert omar["evidence"] == "unknown"
    assert "strength unknown rather than weak" in omar["explanation"]


def test_quiet_strong_tie_is_dormant_and_an_active_one_is_not(tiny_warehouse):
    dormant = query(tiny_warehouse, "SELECT * FROM dormant_ties")
    assert list(dormant["display_name"]) == ["Dana Lee"]
    dana = dormant.iloc[0]
    assert str(dana["last_contact"])[:10] == "2022-10-10"
    assert dana["why"].startswith("among your strongest 10% of ties in the year to Oct 2022; silent 49 months")
    assert "referred you before (client)" in dana["why"]


def test_referral_metrics_count_value_and_pareto_share(tiny_warehouse):
    summary = query(tiny_warehouse, "SELECT display_name, value_received, value_given, gave_far_more FROM referral_summary ORDER BY display_name")
    assert summary.to_dict("records") == [
        {"display_name": "Dana Lee", "value_received": 4, "value_given": 0, "gave_far_more": True},
        {"display_name": "Priya Shah", "value_received": 5, "value_given": 0, "gave_far_more": True},
        {"display_name": "Sam Ortiz", "value_received": 0, "value_given": 2, "gave_far_more": False},
    ]
    pareto = query(tiny_warehouse, "SELECT * FROM referral_pareto").iloc[0]
    # Two referrers; the top 20% of them (rounded up: one) brought 5 of the 9 points.
    assert pareto["pareto_share"] == pytest.approx(5 / 9, abs=1e-4)
    by_quarter = query(tiny_warehouse, "SELECT quarter, high_impact_received FROM referrals_by_quarter ORDER BY quarter")
    assert list(by_quarter["quarter"]) == ["2022-Q2", "2026-Q2", "2026-Q4"]
    assert list(by_quarter["high_impact_received"]) == [1, 1, 0]


def test_layers_and_network_load_and_meeting_prep(tiny_warehouse):
    layers = query(tiny_warehouse, "SELECT layer, people FROM layers ORDER BY layer_order")
    assert list(layers["people"]) == [5, 6, 0, 0, 0]
    load = query(tiny_warehouse, "SELECT * FROM network_load WHERE month = DATE '2026-10-01'").iloc[0]
    # October 2026: four weekly 1:1s with Priya (strong), and the all-hands hour shared among
    # its nine people, of whom Sam and Morgan (ranks 2 and 3 of 11; Morgan reached out once, the other
    # newcomers never) are among the top 20%.
    strongest = list(query(tiny_warehouse, "SELECT display_name FROM tie_strength WHERE top_20_percent ORDER BY rank")["display_name"])
    assert strongest == ["Priya Shah", "Sam Ortiz", "Morgan Blake"]
    assert load["hours_with_strong_ties"] == pytest.approx(4 * 0.5 + 2 / 9, abs=0.01)
    assert load["hours_with_weak_ties"] + load["hours_with_new_ties"] == pytest.approx(7 / 9, abs=0.01)
    prep = query(tiny_warehouse, "SELECT attendee, rank, shared_history FROM meeting_prep ORDER BY rank")
    assert list(prep["attendee"]) == ["Priya Shah", "Sam Ortiz"]
    assert prep.loc[0, "shared_history"].startswith("52 past meetings")


def test_core_list_size_is_configurable(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    assert materialize_all(TINY_INBOX, warehouse, SAMPLE_AS_OF, core_list_size=3).success
    core = query(warehouse, "SELECT rank, display_name FROM core_list ORDER BY rank")
    assert list(core["rank"]) == [1, 2, 3]
    assert core.loc[0, "display_name"] == "Priya Shah"


@pytest.fixture(scope="module")
def tiny_warehouse_with_extras(tmp_path_factory):
    """The tiny inbox plus two referrals from Priya on one day (same kind), one logged after the
    as-of date, and an upcoming meeting the owner declined."""
    inbox = copy_of_tiny_inbox(tmp_path_factory.mktemp("extras"))
    with (inbox / "referrals.csv").open("a", encoding="utf-8") as referrals:
        referrals.write("2026-09-01,priya.shah@example.com,received,intro,2,a founder\n"
                        "2026-09-01,priya.shah@example.com,received,intro,3,another founder\n"
                        "2026-12-01,priya.shah@example.com,received,client,4,after the as-of date\n")
    calendar = inbox / "calendar.ics"
    calendar.write_text(calendar.read_text(encoding="utf-8").replace("END:VCALENDAR", "\n".join([
        "BEGIN:VEVENT", "UID:owner-declined@example.com", "DTSTAMP:20261101T000000Z",
        "DTSTART:20261204T090000Z", "DTEND:20261204T100000Z", "SUMMARY:Offsite",
        "ORGANIZER;CN=Morgan Blake:mailto:ceo@example.com",
        "ATTENDEE;CN=Alex Morgan;PARTSTAT=DECLINED:mailto:alex@example.com",
        "ATTENDEE;CN=Priya Shah;PARTSTAT=ACCEPTED:mailto:priya.shah@example.com",
        "END:VEVENT", "END:VCALENDAR", ""])), encoding="utf-8")
    warehouse = tmp_path_factory.mktemp("extras") / "strongties.duckdb"
    assert materialize_all(inbox, warehouse, SAMPLE_AS_OF).success
    return warehouse


def test_referrals_count_alike_everywhere_each_logged_row_once_up_to_as_of(tiny_warehouse_with_extras):
    # Priya: the job offer (5) and the two same-day intros (2 and 3); the December client is after as-of.
    priya = tie(tiny_warehouse_with_extras, "Priya Shah")
    assert (priya["referrals_received"], priya["referral_value_received"]) == (3, 10)
    assert "referred you 3 times" in priya["explanation"]
    summary = query(tiny_warehouse_with_extras,
                    "SELECT referrals_received, value_received FROM referral_summary WHERE display_name = 'Priya Shah'")
    assert summary.to_dict("records") == [{"referrals_received": 3, "value_received": 10}]
    late = query(tiny_warehouse_with_extras, "SELECT * FROM referral WHERE occurred_on > DATE '2026-11-20'")
    assert late.empty


def test_upcoming_meeting_the_owner_declined_needs_no_prep(tiny_warehouse_with_extras):
    prep = query(tiny_warehouse_with_extras, "SELECT summary, attendee FROM meeting_prep ORDER BY starts_at, attendee")
    assert prep.to_dict("records") == [
        {"summary": "Planning", "attendee": "Priya Shah"},
        {"summary": "Planning", "attendee": "Sam Ortiz"},
    ]


# --- The model alone, on hand-made interactions: short histories -------------------------------

SQL_MODELS = {model.name: model.sql for model in load_models()}
FOUR_WEEKS_AS_OF = "2013-03-04"


def scored_four_weeks(contacts: dict[str, list[tuple[str, str]]], config: ScoringConfig | None = None) -> dict[str, dict]:
    """tie_strength on hand-made texts: person -> [(day, direction)], all within four weeks of the as-of date."""
    connection = duckdb.connect()
    set_sql_variables(connection, config or ScoringConfig(), FOUR_WEEKS_AS_OF)
    connection.execute("""CREATE TABLE interaction (person_id VARCHAR, occurred_at TIMESTAMPTZ, channel VARCHAR,
        direction VARCHAR, minutes DOUBLE, shared_minutes DOUBLE, group_size INTEGER, kind VARCHAR, value INTEGER,
        detail_id VARCHAR, occurred_on DATE AS (occurred_at::date))""")
    connection.execute("CREATE TABLE person (person_id VARCHAR, display_name VARCHAR, sources VARCHAR[], first_seen DATE)")
    # No mail here; tie_strength reads each tie's trend from the monthly history, none here either.
    connection.execute("CREATE TABLE int_mail_replies (person_id VARCHAR, message_key VARCHAR, sent_at TIMESTAMPTZ, "
                       "direction VARCHAR, sent_day DATE, answered_at TIMESTAMPTZ, answered_day DATE, reply_hours DOUBLE)")
    connection.execute("CREATE TABLE int_tie_trends (person_id VARCHAR, trend VARCHAR, strength_6_months_ago DOUBLE, "
                       "rank_share_6_months_ago DOUBLE)")
    for person, texts in contacts.items():
        connection.execute("INSERT INTO person VALUES (?, ?, ['linkedin'], ?)", [person, person, min(day for day, _ in texts)])
        for number, (day, direction) in enumerate(texts):
            connection.execute("INSERT INTO interaction VALUES (?, ?::TIMESTAMPTZ + to_seconds(?), 'message', ?, NULL, NULL, 2, NULL, NULL, ?)",
                               [person, f"{day} 12:00:00+00", number, direction, f"{person}-{day}"])
    connection.execute(f"CREATE TABLE int_tie_features AS {SQL_MODELS['int_tie_features']}")
    frame = connection.execute(SQL_MODELS["tie_strength"]).fetch_df()
    return {row["person_id"]: row for row in frame.to_dict("records")}


def test_first_seen_on_day_one_or_day_three_of_four_weeks_barely_moves_the_score():
    # Alike but for the day they were first seen: 2013-02-04 (the first day) or 2013-02-06.
    ties = scored_four_weeks({
        "early": [("2013-02-04", "inbound"), ("2013-02-20", "outbound"), ("2013-03-01", "inbound")],
        "later": [("2013-02-06", "inbound"), ("2013-02-20", "outbound"), ("2013-03-01", "inbound")],
    })
    assert ties["early"]["history_days"] == 28
    assert ties["early"]["longevity"] - ties["later"]["longevity"] < 0.01
    assert abs(ties["early"]["score"] - ties["later"]["score"]) < 0.01


def test_recency_half_life_shrinks_to_half_of_a_short_history():
    ties = scored_four_weeks({"quiet": [("2013-02-04", "inbound"), ("2013-02-18", "outbound")],
                              "recent": [("2013-03-04", "inbound")]})
    # 28 days of history: a half-life of 14 days, not 180, so a contact 14 days ago counts half.
    assert ties["quiet"]["recency"] == pytest.approx(0.5, abs=1e-6)
    assert ties["recent"]["recency"] == pytest.approx(1.0, abs=1e-6)


def test_volume_counts_every_contact_where_frequency_counts_days():
    # Both texted on the same three days; one sent three texts a day.
    days = ["2013-02-10", "2013-02-17", "2013-02-24"]
    ties = scored_four_weeks({"chatty": [(day, "inbound") for day in days for _ in range(3)],
                              "brief": [(day, "inbound") for day in days]})
    assert ties["chatty"]["frequency"] == pytest.approx(ties["brief"]["frequency"])
    assert (ties["chatty"]["contact_count"], ties["brief"]["contact_count"]) == (9, 3)
    assert ties["chatty"]["volume"] == pytest.approx(1.0)
    assert ties["brief"]["volume"] < 0.7
    assert ties["chatty"]["rank"] == 1


def test_intensity_is_contacts_per_conversation_scaled_against_the_most_intense_tie():
    # Five texts in one burst are one conversation of five; five texts on five days, five of one.
    ties = scored_four_weeks({
        "burst": [("2013-02-20", "inbound"), ("2013-02-20", "outbound")] * 2 + [("2013-02-20", "inbound")],
        "spread": [(f"2013-02-{day}", "inbound") for day in (10, 13, 16, 19, 22)],
    })
    assert ties["burst"]["contacts_per_conversation"] == 5
    assert ties["spread"]["contacts_per_conversation"] == 1
    assert ties["burst"]["intensity"] == pytest.approx(1.0)
    assert ties["spread"]["intensity"] == pytest.approx(math.log(2) / math.log(6), abs=1e-6)


def test_contacts_an_hour_and_more_apart_are_separate_conversations():
    no_gap = ScoringConfig(conversation_gap_minutes=0)
    ties = scored_four_weeks({"burst": [("2013-02-20", "inbound")] * 3}, no_gap)
    # The three texts are a second apart: with no gap allowed, each is its own conversation.
    assert ties["burst"]["contacts_per_conversation"] == 1


def test_their_initiative_counts_the_contacts_they_started_decayed_like_volume():
    ties = scored_four_weeks({
        "reaches_out": [("2013-02-05", "inbound"), ("2013-02-12", "inbound"), ("2013-02-19", "inbound")],
        "answers": [("2013-02-05", "outbound"), ("2013-02-12", "outbound"), ("2013-02-19", "inbound")],
    })
    # 27 days of history (the first contact on 5 February, the as-of date 4 March): half-lives of 13.5 days.
    as_of, rate = date.fromisoformat(FOUR_WEEKS_AS_OF), math.log(2) / 13.5
    started = {name: sum(math.exp(-rate * (as_of - date.fromisoformat(day)).days) for day in days)
               for name, days in {"reaches_out": ["2013-02-05", "2013-02-12", "2013-02-19"], "answers": ["2013-02-19"]}.items()}
    assert ties["reaches_out"]["their_initiative"] == pytest.approx(1.0)
    assert ties["answers"]["their_initiative"] == pytest.approx(
        math.log1p(started["answers"]) / math.log1p(started["reaches_out"]), abs=1e-6)
    assert "they reached out" not in ties["reaches_out"]["explanation"]  # 3 is below the 10 the explanation needs
