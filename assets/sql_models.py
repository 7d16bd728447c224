"""The SQL models of one stage as Dagster assets: one asset per model file, built in one step.

Every model is its own asset, with its own lineage, description and row count; the models of
a stage run together, in dependency order, so that a run pays Dagster's per-step cost once
per stage rather than once per model. Any subset can still be materialized from the UI.
"""
from collections.abc import Callable, Mapping

import dagster as dg

from assets.checks import SqlCheck, selected_checks
from warehouse.models import PYTHON_TABLES, build_model, load_models, models_in_order, raw_table_names
from assets.resource import StrongtiesWarehouse

OWNERS = ["team:strongties"]


def _known_tables() -> set[str]:
    return {model.name for model in load_models()} | raw_table_names() | set(PYTHON_TABLES)


def sql_models_asset(stage: str, checks: list[SqlCheck] = (), previews: Mapping[str, Callable] = {}) -> dg.AssetsDefinition:
    """Every model whose header says `-- stage: <stage>`, built in dependency order; `previews`
    maps a model to a function (connection, names_in_ui) giving the metadata its page shows."""
    known_tables = _known_tables()
    models = models_in_order([model for model in load_models() if model.stage == stage])
    specs = [
        dg.AssetSpec(
            model.name,
            group_name=model.group,
            description=model.description,
            deps=[name for name in model.reads if name in known_tables],
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            tags={"layer": model.layer},
            metadata={"sql_file": f"warehouse/sql/{model.layer}/{model.name}.sql", "materialized": model.materialized},
        )
        for model in models
    ]

    @dg.multi_asset(name=f"{stage}_sql_models", specs=specs, check_specs=[check.spec() for check in checks],
                    can_subset=True)
    def _models(context: dg.AssetExecutionContext, warehouse: StrongtiesWarehouse):
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        with warehouse.connect() as connection:
            for model in models:
                if model.name not in selected:
                    continue
                build_model(connection, model)
                if model.materialized == "view":
                    # Counting a view's rows would compute it: its readers do that.
                    metadata = {"materialized": "view: computed when read"}
                else:
                    metadata = {"dagster/row_count": connection.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]}
                if model.name in previews:
                    metadata.update(previews[model.name](connection, warehouse.names_in_ui))
                yield dg.MaterializeResult(asset_key=model.name, metadata=metadata)
            for check in selected_checks(context, list(checks)):
                yield check.evaluate(connection)

    return _models
