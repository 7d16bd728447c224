"""Metrics: interactions, referrals and tie strength per person, computed in DuckDB."""

import dagster as dg

from assets.checks import SqlCheck
from assets.metrics.previews import PREVIEWS
from assets.sql_models import sql_models_asset

checks = [
    SqlCheck("interaction", "every_interaction_joins_a_person",
              "Every interaction belongs to a person of the person table.",
              "SELECT * FROM interaction WHERE person_id NOT IN (SELECT person_id FROM person)"),
    SqlCheck("tie_strength", "scores_in_unit_range",
              "Score and every feature lie in [0, 1].",
              "SELECT * FROM tie_strength WHERE NOT (score BETWEEN 0 AND 1 AND recency BETWEEN 0 AND 1 "
              "AND frequency BETWEEN 0 AND 1 AND time_together BETWEEN 0 AND 1 AND reciprocity BETWEEN 0 AND 1 "
              "AND longevity BETWEEN 0 AND 1 AND multiplexity BETWEEN 0 AND 1 AND shared_context BETWEEN 0 AND 1)"),
    SqlCheck("tie_strength", "every_row_explained",
              "Every tie has an explanation in words.",
              "SELECT * FROM tie_strength WHERE explanation IS NULL OR explanation = ''"),
]

defs = dg.Definitions(assets=[sql_models_asset("metrics", checks, PREVIEWS)])
