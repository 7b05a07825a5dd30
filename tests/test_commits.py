"""The transaction numbers a kept copy is trusted by (store/commits.py): known answers."""

from __future__ import annotations

from hflineage.store.commits import Commit, Commits, parse_bookmarks, read_mark

DB = "c2f289d51c834aad8e164472bc89cdc0"


def test_bookmarks_name_the_database_and_the_transaction():
    # bookmarks a Neo4j 5.26 server returned: a tiny int, then a 16-bit int
    assert parse_bookmarks(["FB:kcwQwvKJ1RyDSq2OFkRyvInNwBuQ"]) == Commit(DB, 27)
    assert parse_bookmarks(["FB:kcwQZEswZdS6RzC4_JMJDcg4vMkAsZA"]) == Commit("644b3065d4ba4730b8fc93090dc838bc", 177)
    for unreadable in ([], ["FB:kcwQwvKJ1RyDSq2OFkRyvInNwBuQ", "FB:kcwQwvKJ1RyDSq2OFkRyvInNwByQ"], ["XX:abc"],
                       ["FB:"], ["FB:!!!"], ["FB:kcwQwvKJ1RyDSq2OFkRyvInN"], [42]):
        assert parse_bookmarks(unreadable) is None, unreadable


def test_trusted_only_after_an_unbroken_run_of_our_own_bookkeeping():
    mark = Commit(DB, 10)
    mine = Commits()
    assert not mine.since(mark)  # nothing of ours yet: no proof
    mine.record(Commit(DB, 11), aside=True)
    mine.record(Commit(DB, 12), aside=True)
    assert mine.since(mark)

    gap = Commits()  # somebody committed 11
    gap.record(Commit(DB, 12), aside=True)
    assert not gap.since(mark)

    written = Commits()  # our own change of the lineage graph
    written.record(Commit(DB, 11), aside=False)
    written.record(Commit(DB, 12), aside=True)
    assert not written.since(mark)

    unknown = Commits()  # a commit whose number we could not read
    unknown.record(None, aside=True)
    unknown.record(Commit(DB, 11), aside=True)
    assert not unknown.since(mark)

    other = Commits()  # the database was dropped and created again
    other.record(Commit("0" * 32, 11), aside=True)
    assert not other.since(mark)


def test_what_came_before_our_own_mark_does_not_count(tmp_path):
    mine = Commits()
    mine.record(None, aside=False)  # e.g. emptying the graph, before the load
    mine.record(Commit(DB, 20), aside=False)  # the load's commit: the mark
    mine.follow(tmp_path / "commit.json", Commit(DB, 20))
    mine.record(Commit(DB, 21), aside=True)  # the lock released
    assert read_mark(tmp_path / "commit.json") == Commit(DB, 21)  # the mark follows our bookkeeping
    assert mine.since(Commit(DB, 20))
    mine.record(Commit(DB, 23), aside=True)  # 22 was somebody else's
    assert not (tmp_path / "commit.json").exists()
    assert not mine.since(Commit(DB, 20))
