"""Which courses a trainee may take: their own audience's course and their classes' courses."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from training.content.model import Content, Course
from training.extensions import db
from training.models import Assignment, Cohort, CohortMember


@dataclass(frozen=True)
class Available:
    course: Course
    due_on: dt.date | None
    classes: tuple[str, ...]      # names of the classes that assigned it


def available_courses(user, content: Content) -> list[Available]:
    """The user's courses, earliest due first; one query for the class assignments."""
    found: dict[str, dict] = {}
    own = content.course_for_audience(user.audience) if user.audience else None
    if own:
        found[own.id] = {"due": None, "classes": []}
    rows = db.session.execute(
        select(Assignment.course_id, Assignment.due_on, Cohort.name, Cohort.due_on)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user.id, Cohort.archived.is_(False))
    ).all()
    for course_id, due_on, cohort_name, cohort_due in rows:
        if content.course(course_id) is None:
            continue
        entry = found.setdefault(course_id, {"due": None, "classes": []})
        due = due_on or cohort_due
        if due and (entry["due"] is None or due < entry["due"]):
            entry["due"] = due
        entry["classes"].append(cohort_name)
    result = [Available(content.course(cid), v["due"], tuple(v["classes"])) for cid, v in found.items()]
    return sorted(result, key=lambda a: (a.due_on is None, a.due_on or dt.date.max, a.course.title))


def can_take(user, course: Course, content: Content) -> bool:
    """True when the course is the user's audience course or assigned to one of their classes."""
    if user.audience == course.audience:
        return True
    return db.session.scalar(
        select(Assignment.id).join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .where(CohortMember.user_id == user.id, Assignment.course_id == course.id, Cohort.archived.is_(False))
        .limit(1)
    ) is not None
