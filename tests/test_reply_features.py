"""Mail replies in tie strength, computed by hand on a tiny mbox beside the tiny inbox (as of
2026-11-20; the owner writes as alex@example.com):

- Wren, a mail-only colleague: you write her weekly (10 mails, 7 to 70 days ago); she answers
  9 of them after 1, 2, 60, 4, 5, 6, 20, 30 and 50 hours (median 6; the 60-hour answer to your
  mail of 29 October comes on 1 November, after the October month-end). She writes 4 mails of
  her own (10 to 31 days ago); you answer the first two after 10 and 30 hours.
- Kit: 3 mails from you, one answer: too little mail for a reply rate in words.
- A mail from you to Wren and three others, never answered: more than `reply_max_people` on it,
  so it asks no one in particular and counts in no reply rate.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF, copy_of_tiny_inbox, failed_checks, materialize_all, rows
from warehouse.config import ScoringConfig, set_sql_variables
from warehouse.models import load_models

OWNER = "Alex Morgan <alex@example.com>"
WREN = "Wren Okafor <wren.okafor@partner.example.org>"
KIT = "Kit Ramos <kit.ramos@other.example.org>"
AS_OF = datetime.fromisoformat(SAMPLE_AS_OF)
WREN_REPLY_HOURS = [1, 2, 60, 4, 5, 6, 20, 30, 50]  # to your mails 1..9; the 10th goes unanswered
YOUR_REPLY_HOURS = [10, 30]  # to her mails 1 and 2; 3 and 4 go unanswered


class Mbox:
    """Writes Takeout-shaped messages: Gmail labels, Message-ID and In-Reply-To, no body kept."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def add(self, moment: datetime, sender: str, to: str, replies_to: str = "", labels: str = "Inbox") -> str:
        message_id = f"r{len(self.messages)}@mail.example.com"
        lines = [f"From x@xxx {moment:%a %b %d %H:%M:%S} +0000 {moment:%Y}", f"X-Gmail-Labels: {labels}",
                 f"Date: {moment:%a, %d %b %Y %H:%M:%S} +0000", f"Message-ID: <{message_id}>",
                 f"From: {sender}", f"To: {to}", "Subject: private"]
        if replies_to:
            lines.append(f"In-Reply-To: <{replies_to}>")
        self.messages.append(("\n".join(lines) + "\n\nNot read.\n\n").encode())
        return message_id


def replies_mbox() -> bytes:
    mbox = Mbox()
    for week in range(1, 11):
        sent = AS_OF - timedelta(days=7 * week, hours=12)
        yours = mbox.add(sent, OWNER, WREN, labels="Sent")
        if week <= len(WREN_REPLY_HOURS):
            mbox.add(sent + timedelta(hours=WREN_REPLY_HOURS[week - 1]), WREN, OWNER, replies_to=yours)
    for number in range(1, 5):
        sent = AS_OF - timedelta(days=7 * number + 3, hours=12)
        hers = mbox.add(sent, WREN, OWNER)
        if number <= len(YOUR_REPLY_HOURS):
            mbox.add(sent + timedelta(hours=YOUR_REPLY_HOURS[number - 1]), OWNER, WREN, replies_to=hers, labels="Sent")
    for number in range(1, 4):
        sent = AS_OF - timedelta(days=20 * number)
        yours = mbox.add(sent, OWNER, KIT, labels="Sent")
        if number == 1:
            mbox.add(sent + timedelta(hours=3), KIT, OWNER, replies_to=yours)
    mbox.add(AS_OF - timedelta(days=5), OWNER, f"{WREN}, {KIT}, <lee@third.example.org>, <max@fourth.example.org>",
             labels="Sent")
    return b"".join(mbox.messages)


@pytest.fixture(scope="module")
def mail_warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("replies")
    inbox = copy_of_tiny_inbox(folder)
    (inbox / "mail.mbox").write_bytes(replies_mbox())
    warehouse = folder / "strongties.duckdb"
    result = materialize_all(inbox, warehouse, SAMPLE_AS_OF)
    assert result.success
    assert failed_checks(result) == []
    return warehouse


def tie_of(warehouse: Path, address: str) -> dict:
    columns = ["reply_rate_theirs", "reply_rate_yours", "median_reply_hours_theirs", "median_reply_hours_yours",
               "emails_365d", "emails_from_them_365d", "initiated_by_owner", "initiated_by_them", "reciprocity",
               "explanation"]
    found = rows(warehouse, f"SELECT {', '.join('t.' + name for name in columns)} FROM tie_strength AS t "
                            "JOIN person AS p USING (person_id) WHERE list_contains(p.emails, ?)", [address])
    assert len(found) == 1, address
    return dict(zip(columns, found[0]))


def test_reply_rates_count_the_mails_each_side_answered(mail_warehouse):
    wren = tie_of(mail_warehouse, "wren.okafor@partner.example.org")
    assert wren["reply_rate_theirs"] == pytest.approx(9 / 10)
    assert wren["reply_rate_yours"] == pytest.approx(2 / 4)
    assert wren["median_reply_hours_theirs"] == pytest.approx(6.0)
    assert wren["median_reply_hours_yours"] == pytest.approx(20.0)


def test_mail_counts_take_every_mail_of_the_year(mail_warehouse):
    wren = tie_of(mail_warehouse, "wren.okafor@partner.example.org")
    # 10 of yours, her 9 answers, her 4, your 2 answers and the group mail.
    assert (wren["emails_365d"], wren["emails_from_them_365d"]) == (26, 13)


def test_replies_fold_into_reciprocity_with_enough_mail(mail_warehouse):
    wren = tie_of(mail_warehouse, "wren.okafor@partner.example.org")
    yours, hers = 10 + 2 + 1, 9 + 4
    assert (wren["initiated_by_owner"], wren["initiated_by_them"]) == (yours, hers)
    balance = (1 - abs(yours - hers) / (yours + hers)) * (yours + hers) / (yours + hers + 2)
    # 14 mails asked for an answer (your 10, her 4) and 11 were answered.
    answered = 11 / 14 * 14 / (14 + 2)
    assert wren["reciprocity"] == pytest.approx((balance + answered) / 2, abs=1e-6)


def test_explanation_says_how_often_you_write_and_how_they_answer(mail_warehouse):
    wren = tie_of(mail_warehouse, "wren.okafor@partner.example.org")
    assert "you write about weekly; they answer 9 in 10 of your mails, usually within a day" in wren["explanation"]


def test_too_little_mail_gives_rates_but_no_sentence_and_no_reciprocity_change(mail_warehouse):
    kit = tie_of(mail_warehouse, "kit.ramos@other.example.org")
    assert kit["reply_rate_theirs"] == pytest.approx(1 / 3, abs=1e-4)  # rounded to 4 places
    assert kit["reply_rate_yours"] is None  # Kit never wrote first
    assert "you write" not in kit["explanation"]
    # Your 3, Kit's answer and your mail to four people.
    assert "5 mails in the last year, 1 from them" in kit["explanation"]
    yours, theirs = kit["initiated_by_owner"], kit["initiated_by_them"]
    assert (yours, theirs) == (4, 1)
    assert kit["reciprocity"] == pytest.approx((1 - 3 / 5) * 5 / 7, abs=1e-6)


def test_a_person_without_mail_has_no_reply_figures(mail_warehouse):
    priya = rows(mail_warehouse, "SELECT reply_rate_theirs, median_reply_hours_theirs, emails_365d FROM tie_strength "
                                 "WHERE display_name = 'Priya Shah'")
    assert priya == [(None, None, 0)]


def test_the_october_month_end_counts_only_the_answers_come_by_then(mail_warehouse):
    """The history's row for 31 October is tie_strength run on that day, on the contacts and
    the mail up to it: your mail of 29 October, answered on 1 November, was unanswered then."""
    from assets.resource import working_path_for

    month_end = "2026-10-31"
    models = {model.name: model.sql for model in load_models()}
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{mail_warehouse}' AS published (READ_ONLY)")
        connection.execute(f"ATTACH '{working_path_for(mail_warehouse)}' AS working (READ_ONLY)")
        connection.execute(f"CREATE TABLE interaction AS SELECT * FROM published.interaction "
                           f"WHERE occurred_at::date <= DATE '{month_end}'")
        connection.execute("CREATE TABLE person AS SELECT * FROM published.person")
        connection.execute(f"CREATE TABLE int_mail_replies AS SELECT * REPLACE ("
                           f"if(answered_day <= DATE '{month_end}', answered_at, NULL) AS answered_at, "
                           f"if(answered_day <= DATE '{month_end}', answered_day, NULL) AS answered_day) "
                           f"FROM working.int_mail_replies WHERE sent_day <= DATE '{month_end}'")
        unanswered_then = connection.execute(
            f"SELECT count(*) FROM working.int_mail_replies WHERE sent_day <= DATE '{month_end}' "
            f"AND answered_day > DATE '{month_end}'").fetchone()[0]
        set_sql_variables(connection, ScoringConfig(), month_end)
        connection.execute(f"CREATE TABLE int_tie_features AS {models['int_tie_features']}")
        then = dict(connection.execute(f"SELECT person_id, score FROM int_tie_features "
                                       f"WHERE as_of_date = DATE '{month_end}'").fetchall())
        history = dict(connection.execute("SELECT person_id, score FROM published.tie_strength_history "
                                          "WHERE month = DATE '2026-10-01'").fetchall())
    assert unanswered_then == 1
    assert then == history
