"""Check-ins 「いまの気持ちは？」: where they are offered, the four levels, storing an answer,
and the counts instructors and personnel see.

Places come from the content: every scenario of a course (after its ending), every module with
``checkin: true`` in its front matter (at its end: on its last section as the course's audience
reads it) and every section with ``checkin`` in its heading. An answer is private: no page shows
or exports one person's answer; the counts are shown only for a place with at least
``MIN_ANSWERS`` answers spread over at least two levels, and only answers given before today
(JST), so that a count never changes while an instructor watches one trainee finish a step.
Storing an answer is not audited (an audit entry's time would point at the person).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from training.content.model import Content, Course
from training.dates import JST, today_jst
from training.extensions import db
from training.models import Assignment, CheckIn, Cohort, CohortMember, utcnow

#: Levels, highest first as the buttons are shown: (value, words for adults, words for
#: high-school students). 1 and 2 are the low answers (see LOW).
LEVELS = (
    (4, "落ち着いている", "だいじょうぶ"),
    (3, "少し重い", "ちょっと重い"),
    (2, "かなりつらい", "けっこうつらい"),
    (1, "とてもつらい", "すごくつらい"),
)
#: A low answer shows the help lines, a pause and the offer of a talk.
LOW = frozenset({1, 2})
#: Fewer answers than this at a place: its counts are not shown.
MIN_ANSWERS = 5
#: Shown in place of the counts.
TOO_FEW = f"回答が{MIN_ANSWERS}件未満のため表示しません"
ONE_LEVEL = "回答が一つの段階に集まっているため表示しません（一人ひとりの回答がわかってしまうため）"


class BadCheckIn(ValueError):
    """A level or place the form never offered (a tampered form): 400, nothing stored."""


@dataclass(frozen=True)
class Place:
    key: str          # stored as CheckIn.place
    kind: str         # scenario / module / section
    label: str        # for the counts tables
    module_id: str = ""
    section_id: str = ""   # the section the check-in follows (a module's: its last section)


def level_words(audience: str | None) -> list[tuple[int, str]]:
    """The four levels as (value, words) for this audience, highest first."""
    youth = audience == "high_school"
    return [(value, youth_words if youth else words) for value, words, youth_words in LEVELS]


def places(course: Course, content: Content) -> dict[str, Place]:
    """Every check-in place of the course, in course order (modules, then scenarios)."""
    found: dict[str, Place] = {}
    for module_id in course.modules:
        module = content.module(module_id)
        sections = module.sections_for(course.audience)
        for section in sections:
            if section.checkin:
                key = f"section:{module.id}#{section.id}"
                found[key] = Place(key, "section", f"{module.title}：{section.title}", module.id, section.id)
        if module.checkin and sections:
            key = f"module:{module.id}"
            found[key] = Place(key, "module", f"{module.title}（モジュールの終わり）", module.id, sections[-1].id)
    for scenario_id in course.scenarios:
        key = f"scenario:{scenario_id}"
        found[key] = Place(key, "scenario", f"シナリオ：{content.quiz(scenario_id).title}")
    return found


def after_section(course: Course, content: Content, module_id: str, section_id: str) -> Place | None:
    """The check-in that follows this section, if any."""
    return next((p for p in places(course, content).values()
                 if p.kind in ("section", "module") and p.module_id == module_id and p.section_id == section_id), None)


def read(form, course: Course, content: Content) -> tuple[Place, int]:
    """(place, level) from the posted form. Raises BadCheckIn on anything the page never offered."""
    place = places(course, content).get(form.get("place", ""))
    level = form.get("level", "")
    if place is None or level not in {str(value) for value, *_ in LEVELS}:
        raise BadCheckIn(form.get("place", ""))
    return place, int(level)


def _cohort_of(user_id: int, course: Course) -> int | None:
    """The trainee's newest open class that runs this course (as the class pages count it: its
    course assignments, or its audience's course when it has none), or None."""
    rows = db.session.execute(
        select(Cohort.id, Cohort.audience).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id, Cohort.archived.is_(False))
        .order_by(CohortMember.joined_at.desc(), Cohort.id.desc())).all()
    if not rows:
        return None
    assigned: dict[int, set[str]] = {}
    for cohort_id, course_id in db.session.execute(
            select(Assignment.cohort_id, Assignment.course_id).where(
                Assignment.cohort_id.in_(bindparam("ids", expanding=True)), Assignment.module_id.is_(None)),
            {"ids": [r[0] for r in rows]}):
        assigned.setdefault(cohort_id, set()).add(course_id)
    for cohort_id, audience in rows:
        if course.id in assigned.get(cohort_id, ()) or (cohort_id not in assigned and audience == course.audience):
            return cohort_id
    return None


def save(user_id: int, course: Course, place: Place, level: int) -> None:
    """Store the answer, replacing an earlier one at the same place (a double click: one row)."""
    values = {"level": level, "at": utcnow(), "cohort_id": _cohort_of(user_id, course)}
    where = (CheckIn.user_id == user_id, CheckIn.course_id == course.id, CheckIn.place == place.key)
    row = db.session.scalar(select(CheckIn).where(*where))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(CheckIn(user_id=user_id, course_id=course.id, place=place.key, **values))
            return
        except IntegrityError:
            row = db.session.scalar(select(CheckIn).where(*where))  # the other click stored it first
    for key, value in values.items():
        setattr(row, key, value)


@dataclass(frozen=True)
class PlaceCounts:
    place: Place
    answers: int
    counts: tuple[tuple[str, int], ...]   # (words, count) highest level first; empty when hidden
    hidden: str = ""                      # why the counts are not shown

    @property
    def shown(self) -> bool:
        return not self.hidden


def _before_today() -> dt.datetime:
    return dt.datetime.combine(today_jst(), dt.time(), JST).astimezone(dt.timezone.utc)


def _counts(course: Course, content: Content, rows) -> list[PlaceCounts]:
    by_place: dict[str, Counter] = {}
    for place, level in rows:
        by_place.setdefault(place, Counter())[level] += 1
    result = []
    for place in places(course, content).values():
        levels = by_place.get(place.key, Counter())
        total = sum(levels.values())
        hidden = TOO_FEW if total < MIN_ANSWERS else (ONE_LEVEL if len(levels) < 2 else "")
        counts = () if hidden else tuple((words, levels.get(value, 0)) for value, words, _ in LEVELS)
        result.append(PlaceCounts(place, total if total >= MIN_ANSWERS else 0, counts, hidden))
    return result


def class_counts(cohort_id: int, course: Course, content: Content) -> list[PlaceCounts]:
    """Per place of the course, the answers given in this class before today (one query)."""
    rows = db.session.execute(select(CheckIn.place, CheckIn.level).where(
        CheckIn.cohort_id == cohort_id, CheckIn.course_id == course.id, CheckIn.at < _before_today())).all()
    return _counts(course, content, rows)


def course_counts(start: dt.datetime, end: dt.datetime, content: Content) -> list[tuple[Course, list[PlaceCounts]]]:
    """Per course with answers in [start, end) and before today, per place (one query)."""
    rows = db.session.execute(select(CheckIn.course_id, CheckIn.place, CheckIn.level).where(
        CheckIn.at >= start, CheckIn.at < min(end, _before_today()))).all()
    by_course: dict[str, list] = {}
    for course_id, place, level in rows:
        by_course.setdefault(course_id, []).append((place, level))
    return [(course, _counts(course, content, by_course[course.id])) for course in content.courses
            if course.id in by_course]
