"""One Dagster asset per SQL model file; each rebuilds its table in the working warehouse."""

import dagster as dg

from warehouse.models import PYTHON_TABLES, SqlModel, load_models, raw_table_names
from warehouse.resource import StrongtiesWarehouse

OWNERS = ["team:strongties"]


def _known_tables() -> set[str]:
    return {model.name for model in load_models()} | raw_table_names() | set(PYTHON_TABLES)


def _model_asset(model: SqlModel, known_tables: set[str]) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        group_name=model.group,
        description=model.description,
        deps=[name for name in model.reads if name in known_tables],
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        tags={"layer": model.layer},
    )
    def _asset(warehouse: StrongtiesWarehouse) -> dg.MaterializeResult:
        with warehouse.connect() as connection:
            connection.execute(f"CREATE OR REPLACE TABLE {model.name} AS\n{model.sql}")
            row_count = connection.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]
        return dg.MaterializeResult(metadata={"dagster/row_count": row_count})

    return _asset


def sql_model_assets(group: str) -> list[dg.AssetsDefinition]:
    known_tables = _known_tables()
    return [_model_asset(model, known_tables) for model in load_models() if model.group == group]
