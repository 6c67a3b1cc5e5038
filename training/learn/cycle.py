"""Since when a person's learning records count for a course: the one answer (issue 16).

A class that does not count earlier completions (``cohort.counts_earlier_completions`` off,
the default) asks a person who completed the course before the class's start
(training.teach.years.counts_since) to take it again: a *refresher*. From that start on, the
person's records before it no longer count for their progress: sections are read again,
quizzes and scenarios passed again, both surveys answered again, and completing writes a new
CourseCompletion (its own ``cycle``, 2, 3, …) with its own certificate.

:func:`since` is None (every record counts, as always) unless one of the person's open
(not archived) classes that has started, tracks the course (a whole-course assignment, a
module of it, or the audience course of a class without assignments) and does not count
earlier completions has a start later than the person's latest completion of the course. With
several such classes the earliest start is taken: one completion after it counts for every
class whose start it follows (a second class in the same year does not ask again), and a class
starting later still asks from its own start.

The person's classes are read once per request (flask.g); a person without a completion
costs no query at all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from training import clock
from training.content import current_content
from training.dates import to_jst
from training.extensions import db
from training.models import Cohort, CohortMember, CourseCompletion
from training.models.base import as_utc


@dataclass(frozen=True)
class Refresher:
    """A course the person takes again: from ``since``, for ``classes``; ``previous`` is their
    latest completion (before ``since``)."""

    since: dt.datetime
    previous: dt.datetime
    classes: tuple[str, ...]

    @property
    def previous_on(self) -> dt.date:
        return to_jst(self.previous).date()

    @property
    def since_on(self) -> dt.date:
        return to_jst(self.since).date()


def _asking_classes(user_id: int) -> list[tuple[dt.datetime, str, frozenset[str]]]:
    """(start, class name, course ids tracked) of the person's open classes that do not count
    earlier completions; read once per request."""
    cache = g.setdefault("_refresher_classes", {}) if has_request_context() else {}
    if user_id in cache:
        return cache[user_id]
    from training.teach.years import counts_since  # the class's rule lives with the classes

    content = current_content()
    found = []
    cohorts = db.session.scalars(
        select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id, Cohort.archived.is_(False),
               Cohort.counts_earlier_completions.is_(False))
        .options(selectinload(Cohort.assignments)).order_by(Cohort.id)).all()
    for cohort in cohorts:
        courses = {a.course_id for a in cohort.assignments}
        if not cohort.assignments and content.course_for_audience(cohort.audience):
            courses = {content.course_for_audience(cohort.audience).id}
        found.append((counts_since(cohort), cohort.name, frozenset(courses)))
    cache[user_id] = found
    return found


def decide(classes, latest: dict[str, dt.datetime], now: dt.datetime) -> dict[str, Refresher]:
    """Pure: the courses of ``latest`` (course id -> latest completion) taken again, given the
    person's ``classes`` ((start, name, course ids) of those not counting earlier completions).
    A class asks from its start once it has started, if the latest completion is before it."""
    result = {}
    for course_id, previous in latest.items():
        asking = sorted((start, name) for start, name, courses in classes
                        if course_id in courses and start <= now and previous < start)
        if asking:
            result[course_id] = Refresher(since=asking[0][0], previous=previous,
                                          classes=tuple(dict.fromkeys(name for _start, name in asking)))
    return result


def refreshers(user_id: int, latest: dict[str, dt.datetime]) -> dict[str, Refresher]:
    """The courses of ``latest`` (course id -> the person's latest completion) taken again."""
    if not latest:
        return {}
    return decide(_asking_classes(user_id), latest, clock.now())


def refresher(user_id: int, course_id: str) -> Refresher | None:
    """The course taken again by the person, or None (all records count)."""
    latest = as_utc(db.session.scalar(select(func.max(CourseCompletion.completed_at)).where(
        CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)))
    return refreshers(user_id, {course_id: latest} if latest else {}).get(course_id)


def since(user_id: int, course_id: str) -> dt.datetime | None:
    """Since when the person's records count for the course (UTC-aware); None: all of them."""
    found = refresher(user_id, course_id)
    return found.since if found else None


def current_cycle(user_id: int, course_id: str) -> tuple[int, dt.datetime | None]:
    """(the cycle new records of the course belong to, since) for the person.

    Taking the course again: one after their last completion's cycle. Otherwise the cycle of
    their last completion (a module completion written after the course, e.g. for a module added
    to the content later, belongs to it), or 1 before the first completion."""
    last_cycle, latest = db.session.execute(
        select(func.max(CourseCompletion.cycle), func.max(CourseCompletion.completed_at))
        .where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)).one()
    if last_cycle is None:
        return 1, None
    found = refreshers(user_id, {course_id: as_utc(latest)}).get(course_id)
    return (last_cycle + 1, found.since) if found else (last_cycle, None)
