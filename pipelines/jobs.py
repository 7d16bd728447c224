"""The main job: every asset, from the inbox to the published warehouse."""
import dagster as dg

refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Reads the inbox, resolves people, scores ties and publishes the warehouse.",
)
