"""Run settings and the scoring configuration: every weight, half-life and threshold in one place.

docs/scoring.md states the formula these feed and the research each value rests on.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
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
    # Feature weights of the combined score; they sum to 1 so the score stays in [0, 1].
    # Time together, frequency and recency carry most: they have the strongest evidence, and
    # on generated inboxes with known tiers (bench/bench_ranking.py) moving weight from
    # reciprocity and multiplexity to time together raised top-20 precision from 0.90 to
    # 0.95 (150 and 2,000 people). Reciprocity stays low because calendar exports record who
    # sent the invitation, which is mostly the owner, not who sought the meeting.
    weight_recency: float = 0.20
    weight_frequency: float = 0.25
    weight_time_together: float = 0.30
    weight_reciprocity: float = 0.05
    weight_longevity: float = 0.10
    weight_multiplexity: float = 0.05
    weight_shared_context: float = 0.05
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


def sql_variables(config: ScoringConfig, as_of: str) -> dict[str, object]:
    """The values SQL models read with `getvariable('name')`."""
    return {"as_of": as_of, **asdict(config)}
