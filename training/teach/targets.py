"""What a class tracks: each assignment of a whole course or of a single module, with its due date.

The class page, the progress matrix and reminders show one target at a time (the matrix and
reminders) or all of them (the class page). A module target is complete when the module is
(its sections read and its check quiz passed, recorded as a ModuleCompletion in that course),
whatever the rest of the course.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from training.content.model import Content, Course, Module


@dataclass(frozen=True)
class Target:
    course: Course
    module: Module | None
    due_on: dt.date | None

    @property
    def key(self) -> str:
        """How the target is named in a URL (``?show=``): the course id, or course/module."""
        return f"{self.course.id}/{self.module.id}" if self.module else self.course.id

    @property
    def label(self) -> str:
        if self.module:
            return f"{self.course.title}：モジュール『{self.module.title}』"
        return self.course.title

    @property
    def minutes(self) -> int:
        return self.module.minutes if self.module else self.course.minutes


def cohort_targets(cohort, content: Content) -> list[Target]:
    """Whole-course assignments first, then module assignments, in the order they were added;
    a class with no assignment at all tracks its audience's course. The class's due date
    stands in for an assignment without one."""
    whole, modules = [], []
    seen = set()
    for a in sorted(cohort.assignments, key=lambda a: a.id or 0):
        course = content.course(a.course_id)
        if course is None or (a.module_id and a.module_id not in course.modules):
            continue  # content changed since: nothing to track
        key = (a.course_id, a.module_id)
        if key in seen:
            continue
        seen.add(key)
        target = Target(course, content.module(a.module_id) if a.module_id else None, a.due_on or cohort.due_on)
        (modules if a.module_id else whole).append(target)
    if not cohort.assignments and content.course_for_audience(cohort.audience):
        whole.append(Target(content.course_for_audience(cohort.audience), None, cohort.due_on))
    return whole + modules


def choose(targets: list[Target], show: str | None, course_id: str | None = None) -> Target | None:
    """The target named by ``show`` (or the whole course ``course_id``, the older parameter), else the first."""
    if not targets:
        return None
    wanted = show or course_id
    return next((t for t in targets if t.key == wanted), targets[0])
