"""``max_attempts`` holds under parallel submissions (issue 12: on PostgreSQL 20 parallel
submissions stored 3 attempts with a limit of 2). Runs on both databases; on SQLite writers
queue on BEGIN IMMEDIATE, on PostgreSQL on a row lock taken before the attempts are counted."""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from tests.support.learner import SUBMISSION, Learner, csrf, quiz_form
from training.content import load_checked
from training.extensions import db
from training.models import QuizAttempt, QuizSitting

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FIRST = CONTENT.module(COURSE.modules[0])
PARALLEL = 20
LIMIT = 2


def test_parallel_submissions_store_no_more_than_max_attempts(app, client, login_as):
    content = app.extensions["content"]
    limited = replace(COURSE, max_attempts=LIMIT)
    app.extensions["content"] = replace(
        content, courses=tuple(limited if c.id == COURSE.id else c for c in content.courses))
    user_id, _ = login_as("trainee", audience="counter_staff")
    Learner(client, CONTENT, COURSE.id).pre_survey()
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    # Wrong answers: a passed attempt would lift the limit.
    data = {**quiz_form(quiz, html, correct=False), "csrf_token": csrf(html), "version": quiz.version}
    cookie = client.get_cookie("session")
    assert SUBMISSION.search(html)
    # Tabs each with a sitting of their own: the page keeps one open sitting at a time, so the
    # others are copies of it (same layout, so the same answers fit), as two app servers
    # drawing at the same moment could leave.
    with app.app_context():
        opened = db.session.scalar(select(QuizSitting).where(QuizSitting.user_id == user_id))
        db.session.add_all([QuizSitting(user_id=user_id, course_id=COURSE.id, quiz_id=quiz.id,
                                        content_version=opened.content_version, layout=opened.layout,
                                        token=f"parallel-submission-{number:04d}") for number in range(PARALLEL)])
        db.session.commit()
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def submit(number: int) -> None:
        """One browser tab: the same session, its own submission token."""
        tab = app.test_client()
        tab.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
        barrier.wait()
        response = tab.post(page, data={**data, "token": f"parallel-submission-{number:04d}"})
        statuses.append(response.status_code)
        with app.app_context():
            db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == PARALLEL, "a submission did not finish"
    assert all(status in (302, 403) for status in statuses), statuses
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                   .where(QuizAttempt.user_id == user_id))
    assert stored == LIMIT
    assert statuses.count(302) == LIMIT
