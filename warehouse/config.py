"""Run settings and the scoring configuration: every weight, half-life and threshold in one place.

docs/scoring.md states the formula these feed and the research each value rests on.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INBOX = REPO_ROOT / "data" / "sample"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "strongties.duckdb"


def inbox_from_environment() -> Path:
    """STRONGTIES_INBOX, or the shipped sample when it is unset or empty."""
    return Path(os.environ.get("STRONGTIES_INBOX") or DEFAULT_INBOX).resolve()


def published_warehouse_from_environment() -> Path:
    """STRONGTIES_WAREHOUSE, or warehouse/strongties.duckdb in the checkout when unset or empty."""
    return Path(os.environ.get("STRONGTIES_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve()


# The earliest exports the connectors read (vCard 2.1, 1996) come after 1990; an as-of date
# after 2199 is a typo, and 9999-12-31 would overflow the calendar's one-year look-ahead.
EARLIEST_AS_OF = date(1990, 1, 1)
LATEST_AS_OF = date(2199, 12, 31)
# Dunbar's widest named layer of personal ties holds about 1,500 people; a longer "core"
# list is a mistake, and one of none would publish an empty list without saying so.
MAX_CORE_LIST_SIZE = 1500
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WAREHOUSE_SUFFIXES = (".duckdb", ".db")
# Every DuckDB database file carries these bytes at this offset (its main header's magic).
DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable, its value and what is allowed."""

    def __init__(self, variable: str, value: str, allowed: str):
        self.variable = variable
        super().__init__(f"{variable}={value!r} cannot be used: {allowed}")


@dataclass(frozen=True)
class Settings:
    """Every `STRONGTIES_*` setting of a run, checked: read once, by `settings_from_environment`."""

    inbox: Path
    warehouse: Path
    as_of: str  # YYYY-MM-DD, or empty for today
    core_list_size: int
    log_level: str
    names_in_ui: bool


def settings_from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Reads and checks the settings before any work starts; raises SettingsError on the first bad one."""
    environ = os.environ if environ is None else environ
    inbox = Path(environ.get("STRONGTIES_INBOX") or DEFAULT_INBOX).resolve()
    if not inbox.is_dir():
        raise SettingsError("STRONGTIES_INBOX", str(inbox), "no such folder; set it to the folder holding your exports")
    return Settings(
        inbox=inbox,
        warehouse=_checked_warehouse(Path(environ.get("STRONGTIES_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve(), inbox),
        as_of=_checked_as_of(environ.get("STRONGTIES_AS_OF", "").strip()),
        core_list_size=_checked_core_list_size(environ.get("STRONGTIES_CORE_LIST_SIZE", "").strip()),
        log_level=_checked_choice("STRONGTIES_LOG_LEVEL", environ.get("STRONGTIES_LOG_LEVEL") or "INFO", LOG_LEVELS),
        names_in_ui=_checked_choice("STRONGTIES_NAMES_IN_UI", environ.get("STRONGTIES_NAMES_IN_UI") or "0", ("0", "1")) == "1",
    )


def settings_into_environment(environ: MutableMapping[str, str] | None = None) -> Settings:
    """Checks the settings (SettingsError on the first bad one), then writes every one back,
    defaults filled in and paths made absolute. The code location's resource reads them
    through Dagster's EnvVar, which refuses an unset variable, and what `dg dev` starts (code
    server, daemon, runs) inherits them: every entry point calls this before Dagster loads."""
    environ = os.environ if environ is None else environ
    settings = settings_from_environment(environ)
    environ.update({
        "STRONGTIES_INBOX": str(settings.inbox),
        "STRONGTIES_WAREHOUSE": str(settings.warehouse),
        "STRONGTIES_AS_OF": settings.as_of,
        "STRONGTIES_CORE_LIST_SIZE": str(settings.core_list_size),
        "STRONGTIES_LOG_LEVEL": settings.log_level,
        "STRONGTIES_NAMES_IN_UI": "1" if settings.names_in_ui else "0",
    })
    return settings


def _checked_warehouse(warehouse: Path, inbox: Path) -> Path:
    """The published file must be a DuckDB file of ours: never an address book, an input or a folder."""
    variable = "STRONGTIES_WAREHOUSE"
    if warehouse.suffix.lower() not in WAREHOUSE_SUFFIXES:
        raise SettingsError(variable, str(warehouse), "the warehouse file name must end in .duckdb (or .db); "
                            "the address book and reminders are written beside it under their own names")
    if warehouse.is_dir():
        raise SettingsError(variable, str(warehouse), "this is a folder; name a file, for example strongties.duckdb")
    if warehouse.is_relative_to(inbox):
        raise SettingsError(variable, str(warehouse), "the warehouse must not be inside the inbox "
                            "(STRONGTIES_INBOX), where its own files would be read back as input")
    if warehouse.exists() and not _is_duckdb_file(warehouse):
        raise SettingsError(variable, str(warehouse), "this file exists and is not a DuckDB database; "
                            "it would be overwritten: choose a new file name")
    return warehouse


def _is_duckdb_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError:
        return False
    # An empty file is what a run killed at its first byte leaves; DuckDB starts it afresh.
    return not header or header[DUCKDB_MAGIC_OFFSET:] == DUCKDB_MAGIC


def _checked_as_of(text: str) -> str:
    allowed = f"a date as YYYY-MM-DD from {EARLIEST_AS_OF} to {LATEST_AS_OF}, or unset for today"
    if not text:
        return ""
    try:
        as_of = date.fromisoformat(text)
    except ValueError:
        raise SettingsError("STRONGTIES_AS_OF", text, allowed) from None
    if len(text) != len("YYYY-MM-DD") or not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise SettingsError("STRONGTIES_AS_OF", text, allowed)
    return as_of.isoformat()


def _checked_core_list_size(text: str) -> int:
    if not text:
        return ScoringConfig.core_list_size
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_CORE_LIST_SIZE:
        raise SettingsError("STRONGTIES_CORE_LIST_SIZE", text, f"a whole number from 1 to {MAX_CORE_LIST_SIZE}")
    return int(text)


def _checked_choice(variable: str, text: str, choices: tuple[str, ...]) -> str:
    if text.strip().upper() not in choices:
        raise SettingsError(variable, text, "one of " + ", ".join(choices))
    return text.strip().upper()


@dataclass(frozen=True)
class ScoringConfig:
    # Recency: a contact a year ago counts a quarter of one today (Gilbert and Karahalios 2009
    # found days since last contact among the strongest predictors of tie strength).
    recency_half_life_days: float = 180.0
    # Frequency counts distinct days with contact, each decayed by its age (Ureña-Carrion et al.
    # 2020: days with contact predict strength better than raw counts).
    frequency_half_life_days: float = 365.0
    # Time together: minutes of meeting divided by the number of other people present
    # (Onnela et al. 2007), so a 1:1 outweighs a 40-person all-hands of the same length.
    time_together_half_life_days: float = 365.0
    # No half-life above this share of the history the inbox holds (as-of date minus the
    # first contact logged): four weeks of texts decayed over 180 days would weigh alike.
    half_life_max_share_of_history: float = 0.5
    # Longevity is scaled against at least this many years: when the whole history is a few
    # weeks, "first seen on day 1 or on day 3" must not read as a long or a short tie.
    longevity_full_scale_years: float = 5.0
    # Intensity reads the conversations of this many days before the as-of date: how many
    # contacts a conversation runs to now, not in a habit of years ago (a ratio of decayed
    # sums would keep a tie silent for years as intense as it ever was).
    intensity_window_days: int = 365
    # Contacts with one person at most this far apart are one conversation, whatever the
    # channel: an hour holds a text thread, a call back, a mail and its answers.
    conversation_gap_minutes: int = 60
    # Feature weights of the combined score; they sum to 1 so the score stays in [0, 1].
    # Chosen on two data sets at once (docs/scoring.md, "How the weights were chosen"): real
    # texts and calls of Copenhagen students against their friendships (bench/bench_real_ties.py)
    # and generated inboxes with known tiers (bench/bench_ranking.py), four as constraints and
    # twelve more as a check, with fading ties still found (bench/bench_time.py). Intensity (contacts per conversation) is the single signal that beats counting on
    # the real texts and calls; their initiative (the contacts they started, decayed like
    # volume) is what keeps the generated top 20 at 0.95: close ties reach out, a new weekly
    # meeting series does not.
    # Frequency, multiplexity and shared context are measured and shown, weighted 0: on both
    # sets every share given to them cost precision (docs/scoring.md, the ablation).
    weight_recency: float = 0.05
    weight_frequency: float = 0.0
    weight_volume: float = 0.20
    weight_time_together: float = 0.25
    weight_reciprocity: float = 0.05
    weight_longevity: float = 0.05
    weight_multiplexity: float = 0.0
    weight_shared_context: float = 0.0
    weight_intensity: float = 0.20
    weight_their_initiative: float = 0.20
    # The explanation names intensity and their initiative from these on: conversations of
    # three contacts or more (a message and its answer are two), ten contacts they started.
    explained_contacts_per_conversation: float = 3.0
    explained_their_initiative: int = 10
    # Shared context counts people met together in meetings up to this size: a small meeting
    # says two people work together, an all-hands says nothing about it.
    shared_context_max_group_size: int = 8
    # Core list: tie strength and referral value combined; referrals are the product's measure.
    core_list_size: int = 10
    core_weight_tie_strength: float = 0.7
    core_weight_referral_value: float = 0.3
    # Dormant ties: peak strength in the top share of the network, silent for this long.
    dormant_peak_top_share: float = 0.15
    dormant_silence_days: int = 365
    # A window where fewer ties than this were active says too little to call anyone "top".
    dormant_min_active_ties: int = 20
    # Fewer distinct contact days than this and a tie is "unknown", not "weak" (Wiese et al. 2015).
    min_days_for_evidence: int = 2
    # Referral value at or above this is high-impact.
    high_impact_value: int = 4
    # --- Relationships over time (tie_strength_history, fading_ties, reconnect) ---
    # Months of history scored at each month-end: two years shows a tie's rise and fall and
    # the same season a year earlier.
    history_months: int = 24
    # A trend compares today's score with the score at the month-end this many months ago.
    trend_months: int = 6
    # A fall of score of at least `fading_margin`, beyond the drift of the ties that stood in
    # the same layer, is fading; a rise of at least `rising_margin` (into the top fifth) is
    # rising; less is steady. Scores move slowly (half-lives of six months to a year, and a
    # third of the weight on intensity and their initiative, which move slower still): on the
    # generated inboxes (bench/bench_time.py, 150 and 2,000 people, two seeds) colleagues who
    # moved away six months ago lose 0.03 to 0.045 against the network, steady ties under
    # 0.01: 0.02 finds every one of them and nothing else. A rise must be larger to count: at
    # 0.025 five in six of the ties called rising were not the collaborators planned to rise,
    # at 0.07 one or two in five are.
    fading_margin: float = 0.02
    rising_margin: float = 0.07
    # Fading ties: in the top share of the network at some month-end of the last this many
    # months. 15%, as for dormant ties: at 20% the generated inboxes listed active-layer ties
    # (ranks 24 to 30 of 150) whose few contacts happened to thin out, beside the close ties
    # that moved away.
    fading_peak_months: int = 12
    fading_peak_top_share: float = 0.15
    # "The top of the network" is a share of at most this many ties, Dunbar's 150: beyond them
    # an address book adds acquaintances, not strong ties.
    personal_network_size: int = 150
    # Keep-in-touch rhythm: the median gap between contact days over this many days, when it
    # rests on at least this many gaps (five contact days); otherwise the layer's default.
    rhythm_window_days: int = 730
    rhythm_min_gaps: int = 4
    # No usual rhythm is tighter than weekly: a reminder list that asks for more is noise.
    rhythm_floor_days: int = 7
    # Layer defaults by tie-strength rank, from Dunbar's layers of about 5, 15, 50 and 150
    # people: Dunbar ("The anatomy of friendship", 2018) finds the innermost 5 contacted about
    # weekly, the 15 about monthly and the 150 at least once a year, the 50 in between. A
    # reminder is a floor, not the habit, so the 5 get two weeks: the 5 closest every 2 weeks,
    # the 15 monthly, the 50 quarterly, the 150 yearly. Beyond 150 there is no default rhythm.
    cadence_layer_5_days: int = 14
    cadence_layer_15_days: int = 30
    cadence_layer_50_days: int = 90
    cadence_layer_150_days: int = 365
    # A rhythm is a usual gap, not a deadline: a tie is overdue once the silence runs this
    # share past it (a quarter late), so that a weekly habit missed by a day does not nag.
    overdue_grace_share: float = 0.25
    # Reconnect: at most this many people, the most overdue strong ties first: one reminder a
    # working day or two over the next two weeks, which a person acts on.
    reconnect_list_size: int = 20
    # Birthdays of strong ties (this rank or better) this many days ahead are flagged.
    birthday_max_rank: int = 50
    birthday_days_ahead: int = 14
    # meeting_prep looks this many days ahead.
    meeting_prep_days_ahead: int = 14
    # --- Mail replies (int_mail_replies; reciprocity and the reply figures of tie_strength) ---
    # A mail asks for an answer when it has at most this many people on it, the owner included:
    # to one or two people an answer is expected from them; in a larger To line it may come
    # from anyone, and its silence says nothing about one tie.
    reply_max_people: int = 3
    # Reply figures count the mail of the last year, like the messages of the explanation.
    reply_window_days: int = 365
    # With fewer mails asking for an answer than this, a reply rate is anecdote: reciprocity
    # stays the balance of initiative (fewer mails either way) and the explanation says nothing
    # of replies (fewer of yours). Five mails give a rate in steps of a fifth, the coarsest that
    # still reads as a habit.
    reply_min_mails: int = 5


def sql_variables(config: ScoringConfig, as_of: str) -> dict[str, object]:
    """The values SQL models read with `getvariable('name')`."""
    return {"as_of": as_of, **asdict(config)}


def set_sql_variables(connection, config: ScoringConfig, as_of: str) -> None:
    """Sets `sql_variables` on a DuckDB connection, before any model is built on it."""
    for name, value in sql_variables(config, as_of).items():
        connection.execute(f"SET VARIABLE {name} = ?", [value])
