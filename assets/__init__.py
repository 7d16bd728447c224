"""Dagster assets, one package per stage: ingest → resolve → metrics → publish."""
