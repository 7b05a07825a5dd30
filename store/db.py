"""The Neo4j driver, and running stored queries with it.

Reads go through ``execute_query`` with READ routing; writes through managed write
transactions (the driver retries transient failures). The database is always named.
``Writer`` runs independent write batches on background threads (the loader, the derive pass).
"""

from __future__ import annotations

import gc
import queue
import threading
import uuid
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl

from ..cypher import StoredQuery, registry

from .commits import Commit, Commits, parse_bookmarks
from .settings import Connection


@contextmanager
def gc_paused():
    """The cyclic garbage collector off for a block that builds many acyclic containers.

    Decoding a large result and walking it allocate lists, tuples and strings by the hundred
    thousand, none of them in a reference cycle, and each allocation burst triggers a collector
    pass over every live object: ~45% of impact's Python time on a 36k-model subtree. Reference
    counting still frees everything; the collector's normal schedule resumes after the block.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


CONNECT_TIMEOUT = 5.0  # seconds to open a connection
RETRY_TIME = 15.0  # seconds a managed transaction is retried (deadlocks, a leader change)


class Graph:
    """A driver plus the database it talks to."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.database = connection.database
        self.driver = self._new_driver()
        self.commits = Commits()  # what this connection committed (store/commits.py)

    def _new_driver(self):
        c = self.connection
        return GraphDatabase.driver(
            c.uri,
            auth=(c.user, c.password),
            notifications_min_severity="OFF",  # "property does not exist yet" warnings on an empty graph
            # an unreachable server is an answer in seconds, not after 30-60 s of retries
            connection_timeout=CONNECT_TIMEOUT,
            max_transaction_retry_time=RETRY_TIME,
        )

    def verify(self) -> None:
        """Fail at once (ServiceUnavailable, AuthError) when the server cannot be reached."""
        self.driver.verify_connectivity()

    def reconnect(self) -> None:
        """Replace the driver, e.g. after the store under the server was swapped (bulk import):
        the old driver's bookmarks name transactions the new store never reached."""
        old, self.driver = self.driver, self._new_driver()
        old.close()

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, name: str, **params: Any) -> list[dict]:
        """Run a stored read query in a READ session and return its records as dicts."""
        query = registry().get(name)
        registry().check_params(query, params)
        return self.run(query, params)

    def run(self, query: StoredQuery, params: dict) -> list[dict]:
        """Run a stored query: a read in a READ session, a write through the gateway."""
        if not query.read_only:
            def work(tx) -> list[dict]:
                return [dict(record) for record in tx.run(query.text, params)]

            return self.transact(work)
        records, _, _ = self.driver.execute_query(
            query.text, params, database_=self.database, routing_=RoutingControl.READ
        )
        # stored queries return values, never nodes or paths, so no record.data(): its walk
        # through nested lists was half of impact's time on a 36k-model subgraph
        return [dict(record) for record in records]

    # --- the write gateway: every write of the project commits here ---

    def transact(self, work, aside: bool = False):
        """Run ``work(tx)`` in one managed write transaction and record its commit (the driver
        retries transient failures for RETRY_TIME; Writer runs a batch that still deadlocks once
        more alone). ``aside``: the transaction writes only bookkeeping beside the lineage graph
        (the load lock), which a kept copy of the graph survives (store/commits.py)."""
        results: list = []
        changed = [False]

        def counted(tx: neo4j.ManagedTransaction):
            results.clear()  # a retried transaction starts again
            value = work(_Counting(tx, results))
            # read while the transaction is open: did any of its statements change anything?
            changed[0] = any(_changes(result.consume().counters) for result in results)
            return value

        with self.driver.session(database=self.database) as session:
            value = session.execute_write(counted)
            if changed[0]:
                self.commits.record(parse_bookmarks(session.last_bookmarks().raw_values), aside)
        return value

    def run_implicit(self, text: str) -> None:
        """Run our own stored text in an implicit transaction (``CALL { … } IN TRANSACTIONS``
        needs one); it commits many transactions, recorded as changes of unknown number."""
        with self.driver.session(database=self.database) as session:
            session.run(text).consume()
        self.commits.record(None, aside=False)

    def unchanged_since(self, mark: Commit | None) -> bool:
        """True when nobody committed to the database since ``mark`` but this connection's own
        bookkeeping: one more such commit (a probe) proves it now."""
        if mark is None:
            return False
        self.write_aside("snapshot/probe", token=uuid.uuid4().hex)
        return self.commits.since(mark)

    def write(self, name: str, **params: Any) -> list[dict]:
        """Run a stored write query in one managed write transaction."""
        return self._write(name, params, aside=False)

    def write_aside(self, name: str, **params: Any) -> list[dict]:
        """``write`` for bookkeeping beside the lineage graph (the load lock, a probe)."""
        return self._write(name, params, aside=True)

    def _write(self, name: str, params: dict, aside: bool) -> list[dict]:
        query = registry().get(name)
        registry().check_params(query, params)

        def work(tx) -> list[dict]:
            return [record.data() for record in tx.run(query.text, params)]

        return self.transact(work, aside=aside)

    def warm_up(self, steps: list[tuple[str, dict]]) -> None:
        """Run each stored write query once on rows that match nothing, in a transaction that is
        rolled back: nothing is written, but the server has planned and run each query. A
        freshly started server spends seconds on the first run of each query (BENCHMARKS.md, "Design measurements")
        per query), time a caller can overlap with its own work."""
        for name, params in steps:
            query = registry().get(name)
            registry().check_params(query, params)
            with self.driver.session(database=self.database) as session:
                tx = session.begin_transaction()
                try:
                    tx.run(query.text, params).consume()
                finally:
                    tx.rollback()

    def write_many(self, steps: list[tuple[str, dict]]) -> None:
        """Run several stored write queries, in order, in one managed write transaction (so a
        reader sees all of their changes or none)."""
        queries = []
        for name, params in steps:
            query = registry().get(name)
            registry().check_params(query, params)
            queries.append((query, params))

        def work(tx) -> None:
            for query, params in queries:
                tx.run(query.text, params).consume()

        self.transact(work)

    def fetch_table(self, name: str, columns: list[str], types: list, chunk: int = 100_000):
        """A stored read query's whole result as an Arrow table, built in slices to bound memory."""
        import pyarrow as pa

        def to_table(rows):
            cols = list(zip(*rows)) if rows else [[] for _ in columns]
            return pa.table({c: pa.array(v, t) for c, v, t in zip(columns, cols, types)})

        chunks, buf = [], []
        for values in self.stream(name):
            buf.append(values)
            if len(buf) == chunk:
                chunks.append(to_table(buf))
                buf = []
        chunks.append(to_table(buf))
        return pa.concat_tables(chunks)

    def stream(self, name: str, fetch_size: int = 1000, **params: Any):
        """Yield the records of a stored read query one by one (for large results), pulling
        ``fetch_size`` records at a time (1 when each record is itself a large chunk)."""
        query = registry().get(name)
        registry().check_params(query, params)
        with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                 fetch_size=fetch_size) as session:
            result = session.run(query.text, params)
            for record in result:
                yield record.values()


def _changes(counters) -> bool:
    return counters.contains_updates or counters.contains_system_updates


def model_count(graph: Graph) -> int:
    """How many models the graph holds (O(1), from the count store)."""
    return graph.read("load/model_count")[0]["models"]


class _Counting:
    """A transaction that keeps each result it runs, so that the gateway can tell from their
    counters whether the transaction changed anything."""

    def __init__(self, tx: neo4j.ManagedTransaction, results: list):
        self._tx, self._results = tx, results

    def run(self, query: str, parameters: dict | None = None, **kw):
        result = self._tx.run(query, parameters, **kw)
        self._results.append(result)
        return result


class _Turns:
    """Shared turns for the batches that may run side by side, and an exclusive turn for one
    that must run alone: it waits until the running batches end, and none starts meanwhile."""

    def __init__(self):
        self._cond = threading.Condition()
        self._shared = 0
        self._solo = False
        self._waiting = 0

    @contextmanager
    def shared(self):
        with self._cond:
            while self._solo or self._waiting:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def solo(self):
        with self._cond:
            self._waiting += 1
            while self._solo or self._shared:
                self._cond.wait()
            self._waiting -= 1
            self._solo = True
        try:
            yield
        finally:
            with self._cond:
                self._solo = False
                self._cond.notify_all()


class Writer:
    """Background threads running write batches; the first error surfaces on the next call.

    Batches must not depend on each other's order: node batches hold each id once, edge batches
    only reference nodes that exist already. Edge batches may touch the same base from two
    threads, in different orders: the server detects the deadlock and fails one, and the driver
    retries it (for ``RETRY_TIME``). Batches that each take seconds can deadlock again on every
    retry until the driver gives up (a re-run after a killed load, 300k models, 2 workers: found
    by bench/fault_trials.py); such a batch then runs once more alone (no other batch of this
    writer beside it, so no deadlock between them), and ``solo_retries`` counts it.
    """

    def __init__(self, graph: "Graph", workers: int = 1):
        self.graph = graph
        self.queue: queue.Queue = queue.Queue(maxsize=2 * workers)
        self.error: BaseException | None = None
        self.solo_retries = 0
        self._turns = _Turns()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]
        for thread in self.threads:
            thread.start()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    try:
                        with self._turns.shared():
                            self.graph.write_many(item)
                    except neo4j.exceptions.TransientError:  # deadlocked through the driver's retries
                        with self._turns.solo():
                            self.solo_retries += 1
                            self.graph.write_many(item)
            except BaseException as e:  # handed to the caller's thread
                self.error = e
            finally:
                self.queue.task_done()

    def put(self, name: str, **params) -> None:
        self.put_many([(name, params)])

    def put_many(self, steps: list[tuple[str, dict]]) -> None:
        """Several stored queries run in one transaction, in order."""
        self._raise()
        self.queue.put(steps)

    def join(self) -> None:
        self.queue.join()
        self._raise()

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
