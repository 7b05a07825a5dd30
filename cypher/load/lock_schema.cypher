// name: load/lock_schema
// description: The constraint that makes the load lock exclusive (one (:LoadLock) node per name); idempotent.
// mode: write
CREATE CONSTRAINT load_lock_unique IF NOT EXISTS FOR (l:LoadLock) REQUIRE l.name IS UNIQUE
