"""The DuckDB side of strongties: raw tables, SQL models, the resource that opens the database, publishing."""
