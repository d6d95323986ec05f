"""Two runs saving two different versions of one submission at the same instant: the loser
gets a TransientError (which the flow retries), and the retry numbers its version after the
winner's. Provoked for real on PostgreSQL: the second insert waits on the first's unique key."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from extractors.errors import TransientError
from flows.process import save_task
from review.db import make_engine, migrate, session_factory
from review.models import Document
from review.store import save_document, start_run
from schemas.document import DocumentResult

SCHOOL, CERTIFICATE = "长沙学院", "物流管理"


def plan_result(sha_digit: str) -> DocumentResult:
    return DocumentResult(source=f"v{sha_digit}.pdf", sha256=sha_digit * 64, kind="plan", status="ok")


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_losing_a_version_race_is_retried_and_numbered_after_the_winner(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        run = start_run(session, source_root="test", config_name="test")
        save_document(session, plan_result("a"), run=run, school=SCHOOL, certificate=CERTIFICATE)
        session.commit()
        run_id = run.id

    winner = sessions()
    winner_run = winner.merge(run)
    save_document(winner, plan_result("b"), run=winner_run, school=SCHOOL, certificate=CERTIFICATE)
    winner.flush()  # version 2 is taken but not committed: the loser's insert will wait on it

    outcome: list[BaseException | object] = []

    def loser() -> None:
        try:
            outcome.append(save_task.fn(plan_result("c"), db_url, run_id, SCHOOL, CERTIFICATE))
        except BaseException as error:  # asserted below
            outcome.append(error)

    thread = threading.Thread(target=loser)
    thread.start()
    time.sleep(1.0)
    winner.commit()
    winner.close()
    thread.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], TransientError), outcome

    retried = save_task.fn(plan_result("c"), db_url, run_id, SCHOOL, CERTIFICATE)
    assert retried.created and retried.version == 3
    with sessions() as session:
        versions = session.execute(select(Document.sha256, Document.version).order_by(Document.version)).all()
        assert [(sha[0], version) for sha, version in versions] == [("a", 1), ("b", 2), ("c", 3)]
    engine.dispose()
