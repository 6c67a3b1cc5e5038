"""Completion rules, applied in the same request as the step that finishes something.

A module is complete when all its sections (for the course's audience) are viewed and its
quiz is passed. A course is complete when every module and scenario is complete and the
post-survey is answered. Completion rows are written once and never rewritten: each keeps
the content version it was earned on. A person taking the course again for a class
(training.learn.cycle) has only the records since its start counted, and earns new rows of
the next cycle: a second course completion, with its own certificate.

In-person sessions (training.inperson) write their completions through
:func:`write_course_completion` too; an e-learning completion of a person who attended a
blended session of the course is of kind blended (issue 17).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from training import audit
from training.certificates.service import issue_for_completion
from training.content.model import Content, Course
from training.dates import to_jst
from training.extensions import db
from training.inperson.rules import counts
from training.learn.cycle import current_cycle
from training.learn.progress import course_progress, load_records
from training.models import CourseCompletion, ModuleCompletion, SessionParticipant, TrainingSession, User


def _insert_once(row) -> bool:
    """Insert a row guarded by a unique constraint; False if it already exists."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def record_completions(user_id: int, course: Course, content: Content) -> CourseCompletion | None:
    """Write any module or course completion now earned. Returns a new course completion."""
    db.session.flush()
    progress = course_progress(course, content, load_records(user_id, course.id))
    modules_complete = True
    cycle = None  # read when something is to be written
    for status in progress.modules:
        if status.completed_at:
            continue
        if status.sections_viewed == status.sections_total and status.quiz.passed:
            quiz = content.quiz(status.module.quiz)
            cycle = cycle or current_cycle(user_id, course.id)[0]
            _insert_once(ModuleCompletion(
                user_id=user_id, course_id=course.id, module_id=status.module.id, cycle=cycle,
                score=status.quiz.best_percent, content_version=f"{status.module.version}:{quiz.version}",
            ))
        else:
            modules_complete = False
    if progress.completed_at or not modules_complete:
        return None
    if not all(s.passed for s in progress.scenarios.values()) or not progress.post_survey_done:
        return None
    scores = [m.quiz.best_percent for m in progress.modules]
    cycle_now, since = current_cycle(user_id, course.id)
    cycle = cycle or cycle_now
    # A blended session attended (and counted) earlier makes this the blended completion.
    attendance = blended_attendance(user_id, course.id, since)
    completion = write_course_completion(
        db.session.get(User, user_id), course, cycle=cycle, kind="blended" if attendance else "elearning",
        score=round(sum(scores) / len(scores)) if scores else None)
    if completion is not None and attendance is not None:
        attendance.completion_id = completion.id
    return completion


def write_course_completion(user: User, course: Course, *, cycle: int, kind: str = "elearning",
                            completed_at: dt.datetime | None = None, score: int | None = None,
                            **audit_detail) -> CourseCompletion | None:
    """The one way a course completion is written, whatever its kind (e-learning, in-person
    session, blended): the person's department and audience as they stand now stay with it
    (issue 16), it is audited and its certificate issued in the same transaction. None if the
    person already has a completion of the course in this cycle."""
    completion = CourseCompletion(user_id=user.id, course_id=course.id, content_version=course.version, cycle=cycle,
                                  score=score, kind=kind, completed_at=completed_at,
                                  department_id=user.department_id, department_name=user.department,
                                  audience=user.audience)
    if not _insert_once(completion):
        return None
    audit.record("course.complete", target_type="course", target_id=course.id, score=completion.score,
                 content_version=course.version,
                 **({"kind": kind, "user_id": user.id} if kind != "elearning" else {}), **({"cycle": cycle} if cycle > 1 else {}),
                 **audit_detail)
    issue_for_completion(completion, course)
    return completion


def blended_attendance(user_id: int, course_id: str, since: dt.datetime | None) -> SessionParticipant | None:
    """The person's counted attendance of a blended session of the course, not yet used by a
    completion (since ``since``, the start of the cycle, when the person takes it again)."""
    rows = db.session.execute(
        select(SessionParticipant, TrainingSession.held_on)
        .join(TrainingSession, TrainingSession.id == SessionParticipant.session_id)
        .where(SessionParticipant.user_id == user_id, TrainingSession.course_id == course_id,
               TrainingSession.mode == "blended", SessionParticipant.completion_id.is_(None),
               SessionParticipant.status.is_not(None))
        .order_by(TrainingSession.held_on)).all()
    since_day = to_jst(since).date() if since else None
    for participant, held_on in rows:
        if counts(participant.status, participant.left_early_confirmed) and (since_day is None or held_on >= since_day):
            return participant
    return None
