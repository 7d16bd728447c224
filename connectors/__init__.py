"""Pure-Python readers for the exports people drop in the inbox; no Dagster here."""
