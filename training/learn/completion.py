"""Completion rules, applied in the same request as the step that finishes something.

A module is complete when all its sections (for the course's audience) are viewed and its
quiz is passed. A course is complete when every module and scenario is complete and the
post-survey is answered. Completion rows are written once and never rewritten: each keeps
the content version it was earned on. A person taking the course again for a class
(training.learn.cycle) has only the records since its start counted, and earns new rows of
the next cycle: a second course completion, with its own certificate.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from training import audit
from training.certificates.service import issue_for_completion
from training.content.model import Content, Course
from training.extensions import db
from training.learn.cycle import current_cycle
from training.learn.progress import course_progress, load_records
from training.models import CourseCompletion, ModuleCompletion, User


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
    user = db.session.get(User, user_id)
    # The department and audience as they stand now stay with the completion (issue 16).
    cycle = cycle or current_cycle(user_id, course.id)[0]
    completion = CourseCompletion(user_id=user_id, course_id=course.id, content_version=course.version, cycle=cycle,
                                  score=round(sum(scores) / len(scores)) if scores else None,
                                  department_id=user.department_id, department_name=user.department,
                                  audience=user.audience)
    if not _insert_once(completion):
        return None
    audit.record("course.complete", target_type="course", target_id=course.id, score=completion.score,
                 content_version=course.version, **({"cycle": cycle} if cycle > 1 else {}))
    issue_for_completion(completion, course)
    return completion
