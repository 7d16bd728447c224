"""What the UI shows on a mart's own asset page: a preview table and a chart, as table metadata.

The run history in DAGSTER_HOME keeps this metadata for good, apart from the warehouse: a
preview names people only when the owner asked for names in the UI (STRONGTIES_NAMES_IN_UI=1),
and shows person_id otherwise; charts carry counts, scores, months and quarters, and label
people the same way as the previews (person_id unless names were asked for).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping

import dagster as dg
import duckdb

from warehouse import charts

# Rows a preview shows: the published table holds the rest, and the history keeps every copy.
PREVIEW_ROWS = 15
# Months and quarters a chart shows: two years of meetings, three years of referral quarters.
CHART_MONTHS = 24
CHART_QUARTERS = 12

PreviewFunction = Callable[[duckdb.DuckDBPyConnection, bool], dict]


def _plain(value):
    """A value a table record may hold: str, int, float, bool or None."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def _column_type(values: list) -> str:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return "bool"
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return "int"
    if present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return "float"
    return "string"


def table(rows: list[dict], columns: list[str] | None = None) -> dg.TableMetadataValue:
    """Rows as a table the UI draws in place on the asset page."""
    columns = columns or (list(rows[0]) if rows else [])
    plain = [{column: _plain(row.get(column)) for column in columns} for row in rows]
    schema = dg.TableSchema(columns=[dg.TableColumn(column, _column_type([row[column] for row in plain]))
                                     for column in columns])
    return dg.MetadataValue.table([dg.TableRecord(row) for row in plain], schema=schema)


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [description[0] for description in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _who(names_in_ui: bool) -> str:
    return "display_name" if names_in_ui else "person_id"


def _score_chart(connection: duckdb.DuckDBPyConnection) -> dg.TableMetadataValue:
    scores = [score for (score,) in connection.execute("SELECT score FROM tie_strength ORDER BY rank").fetchall()]
    return table(charts.score_band_rows(scores))


def _history_months(connection: duckdb.DuckDBPyConnection) -> list:
    return [month for (month,) in connection.execute(
        f"SELECT DISTINCT month FROM tie_strength_history ORDER BY month DESC LIMIT {CHART_MONTHS}").fetchall()][::-1]


def _with_history(connection: duckdb.DuckDBPyConnection, people: list[dict], months: list) -> list[dict]:
    """`people` (rows with person_id), each given its scores by month from tie_strength_history."""
    scores: dict[str, dict] = {person["person_id"]: {} for person in people}
    if people and months:
        for person_id, month, score in connection.execute(
                "SELECT person_id, month, score FROM tie_strength_history WHERE month >= ? "
                "AND person_id IN (SELECT unnest(?))", [months[0], list(scores)]).fetchall():
            scores[person_id][month] = score
    return [{**person, "scores": scores[person["person_id"]]} for person in people]


def _strength_lines(connection: duckdb.DuckDBPyConnection, names_in_ui: bool, people_sql: str) -> dg.TableMetadataValue:
    """One line of score per person over the last CHART_MONTHS month-ends; `people_sql` gives
    rank, person_id and display_name in the order to show."""
    months = _history_months(connection)
    people = _rows(connection, f"SELECT rank, person_id, {_who(names_in_ui)} AS who FROM ({people_sql}) ORDER BY rank")
    return table(charts.strength_line_rows(_with_history(connection, people, months), months))


def core_list(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    # core_score is what the list is sorted by; score is tie strength alone.
    columns = f"rank, {_who(names_in_ui)}, round(core_score, 3) AS core_score, round(score, 3) AS tie_strength"
    if names_in_ui:
        columns += ", why"  # `why` quotes referral kinds as the owner typed them
    return {"preview": table(_rows(connection, f"SELECT {columns} FROM core_list ORDER BY rank LIMIT {PREVIEW_ROWS}")),
            "score_distribution": _score_chart(connection),
            "strength_over_24_months": _strength_lines(connection, names_in_ui, "SELECT * FROM core_list")}


def tie_strength_history(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    # Built before the core list (which adds referral value to the ranking): the strongest ties
    # by this month's rank, as many as a preview shows.
    # tie_strength may be built after the history: the names come from person.
    strongest = (f"SELECT h.rank, person_id, p.display_name FROM tie_strength_history AS h JOIN person AS p USING (person_id) "
                 f"WHERE h.month = (SELECT max(month) FROM tie_strength_history) ORDER BY h.rank LIMIT {PREVIEW_ROWS}")
    return {"strongest_ties_over_24_months": _strength_lines(connection, names_in_ui, strongest)}


def fading_ties(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    columns = (f"rank, {_who(names_in_ui)}, round(score, 3) AS score, round(strength_6_months_ago, 3) AS "
               f"strength_6_months_ago, round(peak_score, 3) AS peak_score, peak_month, last_contact")
    if names_in_ui:
        columns += ", why"  # `why` quotes referral kinds as the owner typed them
    preview = _rows(connection, f"SELECT {columns} FROM fading_ties ORDER BY rank LIMIT {PREVIEW_ROWS}")
    months = _history_months(connection)
    people = _rows(connection, f"SELECT rank, person_id, {_who(names_in_ui)} AS who, score, peak_score "
                               f"FROM fading_ties ORDER BY rank LIMIT {PREVIEW_ROWS}")
    return {"preview": table(preview),
            "strength_now_and_lost": table(charts.fading_rows(_with_history(connection, people, months), months))}


def tie_strength(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    features = ", ".join(f"round({name}, 2) AS {name}" for name in
                         ("recency", "frequency", "volume", "time_together", "reciprocity", "longevity",
                          "multiplexity", "shared_context"))
    preview = _rows(connection, f"SELECT rank, {_who(names_in_ui)}, round(score, 3) AS score, evidence, {features} "
                                f"FROM tie_strength ORDER BY rank LIMIT {PREVIEW_ROWS}")
    return {"preview": table(preview), "score_distribution": _score_chart(connection)}


def dormant_ties(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    preview = _rows(connection, f"SELECT rank, {_who(names_in_ui)}, last_contact, days_since_last_contact, "
                                f"peak_month FROM dormant_ties ORDER BY rank LIMIT {PREVIEW_ROWS}")
    longest = max((row["days_since_last_contact"] or 0 for row in preview), default=0)
    silence = [{"rank": row["rank"], "months_silent": int((row["days_since_last_contact"] or 0) // 30),
                "silence": charts.bar(row["days_since_last_contact"] or 0, longest)} for row in preview]
    return {"preview": table(preview), "silence": table(silence)}


def layers(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    rows = _rows(connection, "SELECT * FROM layers ORDER BY layer_order")
    return {"preview": table(rows), "people_per_layer": table(charts.layer_rows(rows))}


def referral_pareto(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    values = [value for (value,) in connection.execute(
        "SELECT value_received FROM referral_summary WHERE value_received > 0").fetchall()]
    return {"preview": table(_rows(connection, "SELECT * FROM referral_pareto")),
            "pareto_curve": table(charts.pareto_rows(values))}


def referrals_by_quarter(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    rows = _rows(connection, f"SELECT * FROM (SELECT * FROM referrals_by_quarter ORDER BY quarter DESC "
                             f"LIMIT {CHART_QUARTERS}) ORDER BY quarter")
    return {"preview": table(rows), "value_by_quarter": table(charts.quarter_rows(rows))}


def network_load(connection: duckdb.DuckDBPyConnection, names_in_ui: bool) -> dict:
    rows = _rows(connection, f"SELECT * FROM (SELECT * FROM network_load ORDER BY month DESC "
                             f"LIMIT {CHART_MONTHS}) ORDER BY month")
    return {"preview": table(rows), "meeting_hours_strong_weak_new": table(charts.network_load_rows(rows))}


# Each mart with a page of its own in the UI, and what that page shows.
PREVIEWS: Mapping[str, PreviewFunction] = {
    "core_list": core_list,
    "tie_strength": tie_strength,
    "dormant_ties": dormant_ties,
    "tie_strength_history": tie_strength_history,
    "fading_ties": fading_ties,
    "layers": layers,
    "referral_pareto": referral_pareto,
    "referrals_by_quarter": referrals_by_quarter,
    "network_load": network_load,
}
