"""Classes across fiscal years: archive and restore, delete an empty class, copy a class to the
next fiscal year, filter the list, and each class's rule on completions from before its start.

A class's *start* is ``starts_on`` when set, else 1 April (JST) of its fiscal year. With
``counts_earlier_completions`` off (the default) a completion made before the start does not
count for the class (the class page, the matrix and reminders show the person as not yet
complete), so a yearly refresher class asks for the course again.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import exists, select

from training import audit
from training.dates import JST, fiscal_year_bounds
from training.extensions import db
from training.models import Assignment, CheckIn, Cohort, CohortMember, CohortOwner, Reminder, TalkRequest
from training.teach.classes import ClassError, new_join_code

READ_ONLY = "このクラスはアーカイブ済みのため変更できません。必要なら、クラスの画面で「アーカイブから戻す」を選んでください。"

STATES = {"active": "実施中", "archived": "アーカイブ済み", "all": "すべて"}


# --- the class's rule on earlier completions -------------------------------------------------

def start_date(cohort: Cohort) -> dt.date:
    """``starts_on``, else the first day of the class's fiscal year."""
    return cohort.starts_on or fiscal_year_bounds(cohort.fiscal_year)[0]


def counts_since(cohort: Cohort) -> dt.datetime | None:
    """The earliest completion time (UTC-aware) that counts for the class; None: any counts."""
    if cohort.counts_earlier_completions:
        return None
    day = start_date(cohort)
    return dt.datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(dt.timezone.utc)


def counts(completed_at: dt.datetime | None, since: dt.datetime | None) -> bool:
    """Whether a completion at ``completed_at`` counts under ``since`` (from :func:`counts_since`)."""
    if completed_at is None:
        return False
    if since is None:
        return True
    if completed_at.tzinfo is None:  # SQLite hands back naive UTC in some paths
        completed_at = completed_at.replace(tzinfo=dt.timezone.utc)
    return completed_at >= since


# --- archive, restore, delete ----------------------------------------------------------------

def ensure_writable(cohort: Cohort) -> None:
    """Raise ClassError when the class is archived (read-only)."""
    if cohort.archived:
        raise ClassError(READ_ONLY)


def archive(cohort: Cohort) -> None:
    """Out of the default list; joins refused; read-only. Records stay as they are."""
    if cohort.archived:
        raise ClassError("このクラスはすでにアーカイブ済みです。")
    cohort.archived = True
    audit.record("class.archive", target_type="cohort", target_id=cohort.id, name=cohort.name)


def restore(cohort: Cohort) -> None:
    if not cohort.archived:
        raise ClassError("このクラスはアーカイブされていません。")
    cohort.archived = False
    audit.record("class.restore", target_type="cohort", target_id=cohort.id, name=cohort.name)


def delete_problem(cohort: Cohort) -> str | None:
    """Why the class may not be deleted (it has members or records), else None."""
    def any_row(model) -> bool:
        return db.session.scalar(select(exists().where(model.cohort_id == cohort.id)))

    if any_row(CohortMember):
        return ("受講者が登録されているクラスは削除できません。記録を残したまま一覧から外すには、"
                "「アーカイブする」を選んでください。")
    if any_row(Reminder) or any_row(TalkRequest) or any_row(CheckIn):
        return ("このクラスには記録（リマインド・声かけの依頼・ふりかえり）があるため削除できません。"
                "「アーカイブする」を選んでください。")
    return None


def delete_empty(cohort: Cohort) -> None:
    problem = delete_problem(cohort)
    if problem:
        raise ClassError(problem)
    audit.record("class.delete", target_type="cohort", target_id=cohort.id, name=cohort.name,
                 fiscal_year=cohort.fiscal_year)
    db.session.delete(cohort)


# --- copy to the next fiscal year ------------------------------------------------------------

def shift_year(day: dt.date | None) -> dt.date | None:
    """The same date one year later; 29 February becomes 28 February."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


_REIWA = re.compile(r"令和(\d+|元)年度")


def next_year_name(name: str, fiscal_year: int) -> str:
    """The name with its year moved on: 2026 -> 2027, 令和8年度 -> 令和9年度; else the new year appended."""
    new = fiscal_year + 1
    renamed = name.replace(str(fiscal_year), str(new))

    def reiwa(match):
        year = 1 if match.group(1) == "元" else int(match.group(1))
        return f"令和{year + 1}年度"

    renamed = _REIWA.sub(reiwa, renamed)
    if renamed == name:
        renamed = f"{name}（{new}年度）"
    return renamed[:120]


def copy_to_next_year(source: Cohort, *, name: str, copier, with_members: bool) -> Cohort:
    """A new class in the next fiscal year: audience, owners (and the copier), the rule on
    earlier completions, assignments with their due dates one year later and, if asked, the
    members. The join code is new and joining is off until the instructor opens it."""
    copy = Cohort(name=name.strip(), audience=source.audience, fiscal_year=source.fiscal_year + 1,
                  starts_on=shift_year(source.starts_on), due_on=shift_year(source.due_on),
                  join_enabled=False, join_code=new_join_code(), archived=False,
                  counts_earlier_completions=source.counts_earlier_completions)
    db.session.add(copy)
    db.session.flush()
    owner_ids = list(dict.fromkeys([o.user_id for o in source.owners] + [copier.id]))
    for user_id in owner_ids:
        db.session.add(CohortOwner(cohort_id=copy.id, user_id=user_id))
    for a in sorted(source.assignments, key=lambda a: a.id):
        db.session.add(Assignment(cohort_id=copy.id, course_id=a.course_id, module_id=a.module_id,
                                  due_on=shift_year(a.due_on)))
    members = 0
    if with_members:
        for m in sorted(source.members, key=lambda m: m.id):
            db.session.add(CohortMember(cohort_id=copy.id, user_id=m.user_id, via="copy"))
            members += 1
    audit.record("class.copy", target_type="cohort", target_id=copy.id, source=source.id, name=copy.name,
                 fiscal_year=copy.fiscal_year, members=members, owners=len(owner_ids))
    return copy


# --- the classes list ------------------------------------------------------------------------

def filter_statement(stmt, *, fiscal_year: int | None, state: str):
    """Narrow a select(Cohort) to a fiscal year and a state (active, archived, all)."""
    if fiscal_year is not None:
        stmt = stmt.where(Cohort.fiscal_year == fiscal_year)
    if state == "active":
        stmt = stmt.where(Cohort.archived.is_(False))
    elif state == "archived":
        stmt = stmt.where(Cohort.archived.is_(True))
    return stmt
