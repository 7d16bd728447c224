"""Dagster's SQLite event log, keeping its database connections open instead of reopening them per event.

A run writes about 200 events (a materialization, a check result, a step starting). Dagster's
own SQLite storage builds a new SQLAlchemy engine, opens the file, writes and closes it again
for every one of them, and syncs it to disk each time: on a small machine that was 1.3 s of a
6 s run, more than identity resolution. This storage keeps one open connection per database
file and lets SQLite sync at checkpoints instead of at every commit (WAL with
`synchronous=NORMAL`: a killed process loses nothing, a power cut can lose the last events of
a run but never corrupt the history). Dagster also asks, for nearly every event, whether a
table, a column or a finished data migration exists, each time opening the database to find
out; once one exists it stays (upgrades only add), so a yes is remembered and a no asked again.
Everything else is Dagster's: the same files, tables and migrations, so the UI and `dagster`
commands read them as before.

It is chosen in DAGSTER_HOME's dagster.yaml (pipelines/home.py).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy.pool import StaticPool

from pipelines.home import owner_only_files

# Every Dagster process using this DAGSTER_HOME (the webserver, the daemon, run workers)
# imports this module through dagster.yaml: the history it writes holds names, so it is
# written readable by the owner alone.
owner_only_files()

# Databases kept open at once: a run writes to its own file and to the shared index; the UI
# reads many runs' files, so older ones are closed again.
OPEN_DATABASES = 8
SQLITE_BUSY_TIMEOUT_SECONDS = 30


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()
        self._known_to_exist: set[tuple[str, str]] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sqlalchemy.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            # One connection per file, used by one thread at a time (under Dagster's _db_lock).
            engine = sqlalchemy.create_engine(
                self.conn_string_for_shard(shard), poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            sqlalchemy.event.listen(engine, "connect", _sync_at_checkpoints)
            while len(self._engines) >= OPEN_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
        self._engines[shard] = engine  # most recently used last
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def _remembered(self, key: tuple[str, str], ask: Callable[..., bool], *args) -> bool:
        if key not in self._known_to_exist and ask(*args):
            self._known_to_exist.add(key)
        return key in self._known_to_exist

    def has_table(self, table_name: str) -> bool:
        return self._remembered(("table", table_name), super().has_table, table_name)

    def has_secondary_index(self, name: str) -> bool:
        return self._remembered(("secondary index", name), super().has_secondary_index, name)

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        return self._remembered(("asset key column", column_name), super()._has_asset_key_col_on_connection,
                                conn, column_name)

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
