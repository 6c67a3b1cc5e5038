"""The fiscal-year dashboard: gatekeepers trained against the yearly target, by audience,
department and month, the pre/post survey change of each course (paired, per item), and the
check-in counts of each course (never a person's answer; see training/learn/checkins.py)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from training.content.model import Content, Course
from training.dates import JST, fiscal_year_bounds, fiscal_year_of
from training.extensions import db
from training.learn import checkins as check_ins
from training.learn.survey_change import ItemChange, paired_change
from training.models import AUDIENCES, COMPLETION_KINDS, CourseCompletion, SurveyResponse, User

MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


@dataclass(frozen=True)
class CourseSurveyChange:
    course: Course
    people: int                            # people with both surveys, the post one in the year
    items: list[ItemChange]


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    people: int          # people whose first completion of the year is of this kind
    completions: int     # completions of this kind in the year
    any_people: int      # people with at least one completion of this kind in the year


@dataclass(frozen=True)
class Dashboard:
    fiscal_year: int
    target: int
    trained: int                           # people with at least one completion in the year
    completions: int
    by_audience: list[tuple[str, int]]
    by_department: list[tuple[str, int]]
    by_month: list[tuple[int, int, int]]   # (month, people first trained that month, cumulative)
    surveys: list[CourseSurveyChange]     # one per course with paired answers in the year
    years: list[int]
    checkins: list = field(default_factory=list)  # (course, [PlaceCounts]) with answers in the year
    #: The year's people by kind, each counted once under the kind of their first completion of
    #: the year (so the rows add up to ``trained``); with the completions of each kind.
    by_kind: list[KindCount] = field(default_factory=list)
    #: People with completions of two or more kinds in the year (counted once in ``trained``).
    mixed: int = 0
    #: Every department (``by_department`` keeps the first 15), most people first.
    all_departments: list[tuple[str, int]] = field(default_factory=list)
    #: audience label -> kind -> people, by the kind of each person's first completion of the year.
    by_audience_kind: dict[str, Counter] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.trained / self.target) if self.target else 0


def _window(year: int) -> tuple[dt.datetime, dt.datetime]:
    first, last = fiscal_year_bounds(year)
    start = dt.datetime.combine(first, dt.time(), JST).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), JST).astimezone(dt.timezone.utc)
    return start, end


def build(year: int, target: int, content: Content, *, department_as: str = "completion") -> Dashboard:
    """A handful of queries, whatever the number of completions.

    Audience and department are those at completion (kept with each completion), so a year's
    figures do not move after April's transfers; ``department_as="today"`` counts by each
    person's department and audience today (``user``) instead."""
    start, end = _window(year)
    today = department_as == "today"
    rows = db.session.execute(
        select(CourseCompletion.user_id, CourseCompletion.completed_at,
               User.audience if today else func.coalesce(CourseCompletion.audience, User.audience),
               User.department if today else CourseCompletion.department_name, CourseCompletion.kind)
        .join(User, User.id == CourseCompletion.user_id)
        .where(CourseCompletion.completed_at >= start, CourseCompletion.completed_at < end)
        .order_by(CourseCompletion.completed_at)).all()
    first: dict[int, tuple] = {}
    kinds_of: dict[int, set[str]] = {}
    kind_completions: Counter = Counter()
    for user_id, completed_at, audience, department, kind in rows:
        first.setdefault(user_id, (completed_at.astimezone(JST), audience, department, kind))
        kinds_of.setdefault(user_id, set()).add(kind)
        kind_completions[kind] += 1
    first_kind = Counter(kind for *_, kind in first.values())
    any_kind = Counter(kind for kinds in kinds_of.values() for kind in kinds)
    by_kind = [KindCount(kind, label, first_kind.get(kind, 0), kind_completions.get(kind, 0), any_kind.get(kind, 0))
               for kind, label in COMPLETION_KINDS.items()]
    audiences = Counter(AUDIENCES.get(a or "", "（未設定）") for _, a, _, _ in first.values())
    departments = Counter(d or "（所属なし）" for _, _, d, _ in first.values())
    audience_kind: dict[str, Counter] = {}
    for _, audience, _, kind in first.values():
        audience_kind.setdefault(AUDIENCES.get(audience or "", "（未設定）"), Counter())[kind] += 1
    months = Counter(when.month for when, _, _, _ in first.values())
    cumulative, by_month = 0, []
    for month in MONTHS:
        cumulative += months.get(month, 0)
        by_month.append((month, months.get(month, 0), cumulative))
    surveys = _survey_change(start, end, content)
    years = sorted({year, *_years()}, reverse=True)
    return Dashboard(fiscal_year=year, target=target, trained=len(first), completions=len(rows),
                     by_audience=audiences.most_common(), by_department=departments.most_common(15),
                     by_month=by_month, surveys=surveys, years=years,
                     checkins=check_ins.course_counts(start, end, content), by_kind=by_kind,
                     mixed=sum(1 for kinds in kinds_of.values() if len(kinds) > 1),
                     all_departments=departments.most_common(), by_audience_kind=audience_kind)


def _survey_change(start: dt.datetime, end: dt.datetime, content: Content) -> list[CourseSurveyChange]:
    """Per course, its own items compared on the people who answered both surveys, the post-survey
    within the year (one query). Courses are never pooled: each audience answers its own items."""
    pre = aliased(SurveyResponse)
    rows = db.session.execute(
        select(SurveyResponse.course_id, pre.answers, SurveyResponse.answers)
        .join(pre, (pre.user_id == SurveyResponse.user_id) & (pre.course_id == SurveyResponse.course_id)
              & (pre.phase == "pre") & (pre.cycle == SurveyResponse.cycle))
        .where(SurveyResponse.phase == "post", SurveyResponse.submitted_at >= start,
               SurveyResponse.submitted_at < end)).all()
    pairs: dict[str, list[tuple[dict, dict]]] = {}
    for course_id, before, after in rows:
        pairs.setdefault(course_id, []).append((before or {}, after or {}))
    return [CourseSurveyChange(course, len(pairs[course.id]),
                               paired_change(pairs[course.id], content.survey.for_audience(course.audience)))
            for course in content.courses if course.id in pairs]


def _years() -> list[int]:
    """Fiscal years that have completions (for the year picker)."""
    first = db.session.scalar(select(func.min(CourseCompletion.completed_at)))
    last = db.session.scalar(select(func.max(CourseCompletion.completed_at)))
    if first is None:
        return []
    return list(range(fiscal_year_of(first.astimezone(JST).date()), fiscal_year_of(last.astimezone(JST).date()) + 1))


def nice_top(value: int, minimum: int = 4) -> int:
    """The top of a count axis: the smallest of 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, … that
    holds ``value`` (never below ``minimum``, so a month of 1 person is a quarter of the height)."""
    top, base = max(value, minimum), 1
    while True:
        for step in (1, 2, 2.5, 4, 5):
            if step * base >= top and (step * base) == int(step * base):
                return int(step * base)
        base *= 10


def chart(dashboard: Dashboard, width: int = 720, height: int = 260, through: int = 12,
          line_height: int = 180) -> dict:
    """Geometry for the two server-rendered SVGs.

    ``bars``: people first trained each month, scaled to the busiest month (``nice_top``), not to
    the target, so that 1–4 people are plainly visible; every bar carries its count. ``line``:
    the cumulative total against the target (``target_y``) on its own scale, for the first
    ``through`` months (the months of the year that have begun)."""
    left, bottom, top = 48, height - 32, 24
    step = (width - left - 16) / 12
    plot = bottom - top
    bar_top = nice_top(max((count for _, count, _ in dashboard.by_month), default=0))
    bar_scale = plot / bar_top
    line_top = max(dashboard.target, dashboard.by_month[-1][2], 1)
    line_bottom = line_height - 32
    line_scale = (line_bottom - top) / line_top
    bars, points = [], []
    for index, (month, count, cumulative) in enumerate(dashboard.by_month):
        x = left + index * step
        h = round(max(count * bar_scale, 3), 1) if count else 0
        bars.append({"x": round(x + step * 0.2, 1), "y": round(bottom - h, 1), "w": round(step * 0.6, 1),
                     "h": h, "month": month, "count": count, "label_x": round(x + step / 2, 1),
                     "value_y": round(bottom - h - 4, 1)})
        if index < through:
            points.append((round(x + step / 2, 1), round(line_bottom - cumulative * line_scale, 1), cumulative))
    ticks = [(value, round(bottom - value * bar_scale, 1)) for value in
             ((0, bar_top // 2, bar_top) if bar_top % 2 == 0 else (0, bar_top))]
    last = points[-1] if points else (left, line_bottom, 0)
    return {"width": width, "height": height, "left": left, "bottom": bottom, "top": top, "bars": bars,
            "bar_top": bar_top, "ticks": ticks,
            "line": " ".join(f"{x},{y}" for x, y, _ in points), "last": last,
            "line_height": line_height, "line_bottom": line_bottom,
            "target_y": round(line_bottom - dashboard.target * line_scale, 1), "line_top": line_top}


def months_begun(year: int, today: dt.date) -> int:
    """How many months of fiscal year ``year`` have begun by ``today`` (0–12)."""
    if fiscal_year_of(today) > year:
        return 12
    if fiscal_year_of(today) < year:
        return 0
    return MONTHS.index(today.month) + 1
