"""Which courses a trainee may take: their own audience's course and their classes' courses.

A class may assign a whole course or a single module of a course. A module assignment is
work of its own (its due date, complete when the module is); it opens that module, and the
rest of its course only when the course is open anyway (the trainee's audience course, or
assigned whole by one of their classes).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from training.content.model import Content, Course, Module
from training.extensions import db
from training.models import Assignment, Cohort, CohortMember


@dataclass(frozen=True)
class ModuleWork:
    """A single module assigned by one or more of the trainee's classes."""

    module: Module
    due_on: dt.date | None
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Available:
    course: Course
    due_on: dt.date | None
    classes: tuple[str, ...]      # names of the classes that assigned the whole course
    whole: bool = True            # False: only the modules below are open
    modules: tuple[ModuleWork, ...] = ()

    @property
    def first_due(self) -> dt.date | None:
        dues = [d for d in [self.due_on if self.whole else None, *(m.due_on for m in self.modules)] if d]
        return min(dues) if dues else None


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return min(a, b) if a and b else a or b


def _assignment_rows(user_id: int, course_id: str | None = None):
    stmt = (select(Assignment.course_id, Assignment.module_id, Assignment.due_on, Cohort.name, Cohort.due_on)
            .join(Cohort, Cohort.id == Assignment.cohort_id)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user_id, Cohort.archived.is_(False))
            .order_by(Cohort.name, Assignment.id))
    if course_id is not None:
        stmt = stmt.where(Assignment.course_id == course_id)
    return db.session.execute(stmt).all()


def available_courses(user, content: Content) -> list[Available]:
    """The user's courses, earliest due first; one query for the class assignments."""
    found: dict[str, dict] = {}
    own = content.course_for_audience(user.audience) if user.audience else None
    if own:
        found[own.id] = {"due": None, "classes": [], "whole": True, "modules": {}}
    for course_id, module_id, due_on, cohort_name, cohort_due in _assignment_rows(user.id):
        course = content.course(course_id)
        if course is None or (module_id and module_id not in course.modules):
            continue
        entry = found.setdefault(course_id, {"due": None, "classes": [], "whole": False, "modules": {}})
        due = due_on or cohort_due
        if module_id:
            work = entry["modules"].setdefault(module_id, {"due": None, "classes": []})
            work["due"] = _earlier(work["due"], due)
            work["classes"].append(cohort_name)
        else:
            entry["whole"] = True
            entry["due"] = _earlier(entry["due"], due)
            entry["classes"].append(cohort_name)
    result = []
    for cid, v in found.items():
        course = content.course(cid)
        modules = tuple(ModuleWork(content.module(m), v["modules"][m]["due"], tuple(v["modules"][m]["classes"]))
                        for m in course.modules if m in v["modules"])
        result.append(Available(course, v["due"], tuple(v["classes"]), v["whole"], modules))
    return sorted(result, key=lambda a: (a.first_due is None, a.first_due or dt.date.max, a.course.title))


def open_modules(user, course: Course) -> frozenset[str] | None:
    """None when the whole course is open to the user; otherwise the module ids their classes
    assigned on their own (empty: nothing of the course is open)."""
    if user.audience == course.audience:
        return None
    modules = set()
    for _course, module_id, *_rest in _assignment_rows(user.id, course.id):
        if module_id is None:
            return None
        modules.add(module_id)
    return frozenset(modules)


def can_take(user, course: Course, content: Content) -> bool:
    """True when the course is the user's audience course or assigned (whole or a module of it)
    to one of their classes; see open_modules for what of it is open."""
    if user.audience == course.audience:
        return True
    return db.session.scalar(
        select(Assignment.id).join(CohortMember, CohortMember.cohort_id == Assignment.cohort_id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .where(CohortMember.user_id == user.id, Assignment.course_id == course.id, Cohort.archived.is_(False))
        .limit(1)
    ) is not None
