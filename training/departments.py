"""The department master: name normalisation, lookup by code or name, reorganisations,
which department a fiscal year belongs to, and mapping the old free-text 所属 values.

Names are one field, 部 and 課 separated by one space: 「区民部 収納課」. What is typed or
imported is compared after ``name_key``: NFKC, casefold, and every space (half- or
full-width), comma, 読点 and 中黒 removed, so 「区民部,収納課」, 「区民部　収納課」 and
「区民部収納課」 are the same department. A code matches exactly (after NFKC and trimming).

While the master is empty (a ward that has not set it up yet), 所属 stays free text as
before; once it holds one department, forms and rosters take only master departments.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from training import audit
from training.extensions import db
from training.models import REORG_KINDS, CourseCompletion, Department, DepartmentSuccessor, User

_SEPARATORS = re.compile(r"[\s\u3000,、，・･/／]+")


class DepartmentError(ValueError):
    """A Japanese message: the department is unknown, or the master change makes no sense."""


def display_name(text: str | None) -> str:
    """The stored form of a name: NFKC, separators as one half-width space, trimmed."""
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def name_key(text: str | None) -> str:
    """The matching form of a name (see the module docstring)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def code_key(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().upper()


# Which department a fiscal year belongs to (pure: unit-tested without a database) ---------------

@dataclass(frozen=True)
class Span:
    """A department's fiscal years (open ends: None)."""

    id: int
    valid_from_fy: int | None
    valid_to_fy: int | None

    def valid_in(self, fy: int) -> bool:
        return (self.valid_from_fy is None or self.valid_from_fy <= fy) and \
               (self.valid_to_fy is None or fy <= self.valid_to_fy)


def in_year(dept_id: int, fy: int, spans: dict[int, Span], successors: dict[int, list[int]],
            predecessors: dict[int, list[int]] | None = None) -> list[int]:
    """The department(s) that ``dept_id`` is in fiscal year ``fy``: itself if valid then,
    else its successors from a later year (a rename or merge: one; a split: several),
    followed as far as needed; for an earlier year, its predecessors. Sorted ids; [] if none."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = [dept_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in spans:
            continue
        seen.add(current)
        span = spans[current]
        if span.valid_in(fy):
            found.add(current)
        elif span.valid_to_fy is not None and fy > span.valid_to_fy:
            stack.extend(successors.get(current, ()))
        elif predecessors is not None and span.valid_from_fy is not None and fy < span.valid_from_fy:
            stack.extend(predecessors.get(current, ()))
    return sorted(found)


def close_matches(text: str, names: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` master names close to ``text`` (difflib on the matching forms)."""
    by_key = {name_key(name): name for name in names}
    return [by_key[k] for k in difflib.get_close_matches(name_key(text), list(by_key), n=n, cutoff=0.5)]


# The master in the database --------------------------------------------------------------------

def master_in_use() -> bool:
    return db.session.scalar(select(Department.id).limit(1)) is not None


def graph() -> tuple[dict[int, Span], dict[int, list[int]], dict[int, list[int]]]:
    spans = {d.id: Span(d.id, d.valid_from_fy, d.valid_to_fy) for d in db.session.scalars(select(Department))}
    successors: dict[int, list[int]] = {}
    predecessors: dict[int, list[int]] = {}
    for old, new in db.session.execute(select(DepartmentSuccessor.predecessor_id, DepartmentSuccessor.successor_id)):
        successors.setdefault(old, []).append(new)
        predecessors.setdefault(new, []).append(old)
    return spans, successors, predecessors


def due_moves(fy: int) -> list[tuple[Department, list[Department], int]]:
    """Departments no longer valid in ``fy`` that still have people: (old, where it went in
    ``fy``, people). One successor (a rename or merge): the people can be moved at once; several
    (a split): each person is placed by hand (admin user page)."""
    spans, successors, _ = graph()
    people = dict(db.session.execute(select(User.department_id, func.count()).where(
        User.department_id.is_not(None)).group_by(User.department_id)).all())
    by_id = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(list(people) or [0])))}
    moves = []
    for dept_id, n in people.items():
        if dept_id in by_id and not spans[dept_id].valid_in(fy):
            now = in_year(dept_id, fy, spans, successors)
            if now != [dept_id]:
                moves.append((by_id[dept_id], [db.session.get(Department, i) for i in now], n))
    return sorted(moves, key=lambda m: m[0].code)


def roll_over(fy: int) -> int:
    """Move the people of renamed and merged departments to their department in ``fy``
    (users only: completions keep the department they were earned in). Audited; returns people moved."""
    moved = 0
    for old, now, _n in due_moves(fy):
        if len(now) != 1:
            continue
        count = db.session.execute(update(User).where(User.department_id == old.id)
                                   .values(department_id=now[0].id, department=now[0].name)).rowcount
        audit.record("department.roll_over", target_type="department", target_id=now[0].id,
                     fiscal_year=fy, old=old.id, users=count)
        moved += count
    return moved


@dataclass(frozen=True)
class Resolved:
    department: Department | None     # None: free text (the master is empty) or nothing given
    text: str | None


class Resolver:
    """Looks departments up by code or name for a whole form or roster (one query)."""

    def __init__(self, fy: int):
        self.fy = fy
        self.all = list(db.session.scalars(select(Department).order_by(Department.code)))
        self.by_code = {code_key(d.code): d for d in self.all}
        self.by_key = {d.name_key: d for d in self.all}

    @property
    def empty(self) -> bool:
        return not self.all

    def valid_names(self) -> list[str]:
        return [d.name for d in self.all if Span(d.id, d.valid_from_fy, d.valid_to_fy).valid_in(self.fy)]

    def resolve(self, text: str | None) -> Resolved:
        """The department ``text`` names; DepartmentError (with close matches) if unknown."""
        text = (text or "").strip()
        if not text:
            return Resolved(None, None)
        if self.empty:
            return Resolved(None, text)
        found = self.by_code.get(code_key(text)) or self.by_key.get(name_key(text))
        if found is None:
            near = close_matches(text, self.valid_names())
            hint = f"。近い所属：{'、'.join(near)}" if near else "。所属の一覧は管理者にお問い合わせください"
            raise DepartmentError(f"所属「{text[:50]}」は所属マスタにありません{hint}")
        if not Span(found.id, found.valid_from_fy, found.valid_to_fy).valid_in(self.fy):
            spans, successors, _ = graph()
            now = [d.name for d in self.all if d.id in in_year(found.id, self.fy, spans, successors)]
            hint = f"（現在の所属：{'、'.join(now)}）" if now else ""
            raise DepartmentError(f"所属「{found.name}」は{self.fy}年度には使われていません{hint}")
        return Resolved(found, found.name)


def set_user_department(user: User, resolved: Resolved) -> None:
    user.department = resolved.text
    user.department_id = resolved.department.id if resolved.department else None


# Admin changes (each audited; the caller commits) ----------------------------------------------

def _check_values(code: str, name: str, valid_from: int | None, valid_to: int | None, own_id: int | None = None):
    code, shown = code_key(code), display_name(name)
    if not code or not shown:
        raise DepartmentError("コードと名称を入力してください。")
    if len(code) > 32 or len(shown) > 100:
        raise DepartmentError("コードは32文字まで、名称は100文字までで入力してください。")
    if valid_from and valid_to and valid_from > valid_to:
        raise DepartmentError("有効期間の開始年度が終了年度より後になっています。")
    clash = db.session.scalar(select(Department).where(
        (Department.code == code) | (Department.name_key == name_key(shown)), Department.id != (own_id or 0)))
    if clash is not None:
        raise DepartmentError(f"同じコードまたは名称の所属「{clash.code} {clash.name}」が既にあります。")
    return code, shown


def create(code: str, name: str, *, valid_from: int | None = None, valid_to: int | None = None,
           staff_count: int | None = None) -> Department:
    code, shown = _check_values(code, name, valid_from, valid_to)
    dept = Department(code=code, name=shown, name_key=name_key(shown), valid_from_fy=valid_from,
                      valid_to_fy=valid_to, staff_count=staff_count)
    db.session.add(dept)
    db.session.flush()
    audit.record("department.create", target_type="department", target_id=dept.id, code=code, name=shown,
                 valid_from_fy=valid_from, valid_to_fy=valid_to, staff_count=staff_count)
    return dept


def edit(dept: Department, code: str, name: str, *, valid_from: int | None, valid_to: int | None,
         staff_count: int | None) -> bool:
    code, shown = _check_values(code, name, valid_from, valid_to, own_id=dept.id)
    values = {"code": code, "name": shown, "valid_from_fy": valid_from, "valid_to_fy": valid_to,
              "staff_count": staff_count}
    changed = {k: {"before": getattr(dept, k), "after": v} for k, v in values.items() if getattr(dept, k) != v}
    if not changed:
        return False
    for key, value in values.items():
        setattr(dept, key, value)
    dept.name_key = name_key(shown)
    if "name" in changed:
        # A correction of the same department: the text copies on users and on completion
        # snapshots follow, so the counts are not split (a rename from a year on is a
        # reorganisation instead, which keeps the old name on old completions).
        db.session.execute(update(User).where(User.department_id == dept.id).values(department=shown))
        db.session.execute(update(CourseCompletion).where(CourseCompletion.department_id == dept.id)
                           .values(department_name=shown))
    audit.record("department.update", target_type="department", target_id=dept.id, changes=changed)
    return True


def reorganise(kind: str, old: list[Department], new: list[Department], from_fy: int) -> None:
    """Record a rename (1 -> 1), merge (n -> 1) or split (1 -> n) from ``from_fy``: the old
    departments end at from_fy - 1, the new ones start at from_fy."""
    if kind not in REORG_KINDS:
        raise DepartmentError("組織改正の種類を選んでください。")
    shapes = {"rename": len(old) == 1 and len(new) == 1, "merge": len(old) >= 2 and len(new) == 1,
              "split": len(old) == 1 and len(new) >= 2}
    if not shapes[kind]:
        raise DepartmentError({"rename": "名称変更は、旧所属1つと新所属1つを選んでください。",
                               "merge": "統合は、旧所属2つ以上と新所属1つを選んでください。",
                               "split": "分割は、旧所属1つと新所属2つ以上を選んでください。"}[kind])
    if {d.id for d in old} & {d.id for d in new}:
        raise DepartmentError("旧所属と新所属に同じ所属が含まれています。")
    for dept in old:
        if dept.valid_from_fy and dept.valid_from_fy > from_fy - 1:
            raise DepartmentError(f"「{dept.name}」は{dept.valid_from_fy}年度からの所属のため、{from_fy}年度からの改正の旧所属にできません。")
    for dept in old:
        dept.valid_to_fy = from_fy - 1
    for dept in new:
        dept.valid_from_fy = from_fy
        if dept.valid_to_fy is not None and dept.valid_to_fy < from_fy:
            dept.valid_to_fy = None
    for a in old:
        for b in new:
            db.session.add(DepartmentSuccessor(predecessor_id=a.id, successor_id=b.id, from_fy=from_fy, kind=kind))
    db.session.flush()
    audit.record("department.reorganise", target_type="department", target_id=new[0].id, kind=kind,
                 from_fy=from_fy, old=[d.id for d in old], new=[d.id for d in new])


def reorganisations() -> list[tuple[DepartmentSuccessor, Department, Department]]:
    old, new = aliased(Department), aliased(Department)
    return db.session.execute(
        select(DepartmentSuccessor, old, new).join(old, old.id == DepartmentSuccessor.predecessor_id)
        .join(new, new.id == DepartmentSuccessor.successor_id)
        .order_by(DepartmentSuccessor.from_fy.desc(), DepartmentSuccessor.id)).all()


# 所属の対応づけ: free-text values not linked to the master ------------------------------------------

@dataclass(frozen=True)
class Unmapped:
    text: str
    users: int
    completions: int
    suggested: int | None = None     # the department of the same name, or the closest one


def unmapped() -> list[Unmapped]:
    """Distinct free-text values on users or completion snapshots with no master department."""
    users = dict(db.session.execute(
        select(User.department, func.count()).where(User.department_id.is_(None), User.department.is_not(None),
                                                    User.department != "").group_by(User.department)).all())
    done = dict(db.session.execute(
        select(CourseCompletion.department_name, func.count())
        .where(CourseCompletion.department_id.is_(None), CourseCompletion.department_name.is_not(None),
               CourseCompletion.department_name != "").group_by(CourseCompletion.department_name)).all())
    resolver = Resolver(0)
    names = [d.name for d in resolver.all]

    def suggestion(text: str) -> int | None:
        found = resolver.by_code.get(code_key(text)) or resolver.by_key.get(name_key(text))
        if found is None:
            near = close_matches(text, names, n=1)
            found = resolver.by_key.get(name_key(near[0])) if near else None
        return found.id if found else None
    return [Unmapped(text, users.get(text, 0), done.get(text, 0), suggestion(text))
            for text in sorted(set(users) | set(done))]


def map_text(text: str, dept: Department) -> tuple[int, int]:
    """Link every user and completion snapshot holding free text ``text`` to ``dept``."""
    users = db.session.execute(update(User).where(User.department == text, User.department_id.is_(None))
                               .values(department_id=dept.id, department=dept.name)).rowcount
    done = db.session.execute(update(CourseCompletion).where(CourseCompletion.department_name == text,
                                                             CourseCompletion.department_id.is_(None))
                              .values(department_id=dept.id, department_name=dept.name)).rowcount
    audit.record("department.map", target_type="department", target_id=dept.id, text=text, users=users,
                 completions=done)
    return users, done
