"""SQLite writers of one engine take turns on an in-process lock (yingji.db.SqliteWriterQueue) instead of
meeting SQLite's sleeping busy handler: concurrent writers all commit, a waiting writer is counted, reads do
not take the lock, and a transaction that ends in any way (commit, rollback, a connection handed back
unfinished) frees it."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from yingji import db


def _engine(tmp_path: Path) -> tuple[object, db.SqliteWriterQueue]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine, db.WRITER_QUEUES[engine]


def test_concurrent_writers_take_turns_and_all_commit(tmp_path: Path) -> None:
    engine, queue = _engine(tmp_path)
    inside = threading.Barrier(2)
    errors: list[BaseException] = []

    def first() -> None:
        with engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text("INSERT INTO t VALUES (0)"))
            inside.wait()  # the second writer starts while this one holds the write lock
            while not queue.waits:
                threading.Event().wait(0.001)
            conn.execute(text("INSERT INTO t VALUES (0)"))

    def writer(n: int) -> None:
        try:
            with engine.begin() as conn:  # type: ignore[attr-defined]
                conn.execute(text("SELECT count(*) FROM t")).scalar_one()  # a read takes no turn
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                conn.execute(text("UPDATE t SET x = x + 1 WHERE x = :n"), {"n": n})
        except BaseException as exc:
            errors.append(exc)

    holder = threading.Thread(target=first)
    holder.start()
    inside.wait()
    others = [threading.Thread(target=writer, args=(n,)) for n in range(1, 9)]
    for t in others:
        t.start()
    for t in [holder, *others]:
        t.join()
    assert not errors
    assert queue.waits >= 1 and not queue.lock.locked() and not queue.holding
    with engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 10
    engine.dispose()  # type: ignore[attr-defined]


def test_rollback_and_an_unfinished_connection_free_the_lock(tmp_path: Path) -> None:
    engine, queue = _engine(tmp_path)
    conn = engine.connect()  # type: ignore[attr-defined]
    conn.begin()
    conn.execute(text("INSERT INTO t VALUES (1)"))
    assert queue.lock.locked()
    conn.rollback()
    assert not queue.lock.locked()
    conn.begin()
    conn.execute(text("INSERT INTO t VALUES (1)"))
    conn.commit()
    assert not queue.lock.locked()  # freed by the commit itself, not only when the connection goes back
    conn.begin()
    conn.execute(text("INSERT INTO t VALUES (2)"))
    assert queue.lock.locked()
    conn.close()  # handed back to the pool unfinished: rolled back, the lock freed
    assert not queue.lock.locked() and not queue.holding
    with engine.begin() as again:  # type: ignore[attr-defined]
        again.execute(text("INSERT INTO t VALUES (3)"))
    assert not queue.lock.locked()
    engine.dispose()  # type: ignore[attr-defined]


def test_a_second_write_session_of_the_same_thread_does_not_wait_for_the_first(tmp_path: Path) -> None:
    engine, queue = _engine(tmp_path)
    factory = db.session_factory(engine)  # type: ignore[arg-type]
    with factory() as outer:
        outer.execute(text("INSERT INTO t VALUES (1)"))
        outer.commit()
        with factory() as inner:  # the outer transaction has ended: the inner takes its turn normally
            inner.execute(text("INSERT INTO t VALUES (2)"))
            assert queue.lock.locked()
            inner.commit()
    assert not queue.lock.locked()
    engine.dispose()  # type: ignore[attr-defined]
