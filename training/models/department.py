"""The department master (所属): departments valid by fiscal year and the reorganisations between them.

A department is one name (部と課を空白で区切る: 「区民部 収納課」), a code, and the fiscal
years it is valid in. A reorganisation from fiscal year N ends the old department at N-1 and
links it to its successor(s) valid from N: a rename or a merge has one successor, a split
several. Users point at a department (``user.department_id``; ``user.department`` keeps the
name as text), and each course completion keeps the department and audience it was earned
under (training/learn/completion.py), so last year's figures do not move after April.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow

#: reorganisation kind -> Japanese label
REORG_KINDS: dict[str, str] = {"rename": "名称変更", "merge": "統合", "split": "分割"}


class Department(Base):
    """One 部・課 as it stood over a range of fiscal years (open ends: None)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The name folded for matching (training/departments.py: name_key); unique.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    valid_from_fy: Mapped[int | None] = mapped_column(Integer)
    valid_to_fy: Mapped[int | None] = mapped_column(Integer)
    staff_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DepartmentSuccessor(Base):
    """Old department -> new department from ``from_fy`` (rename, merge or split)."""

    __tablename__ = "department_successor"
    __table_args__ = (UniqueConstraint("predecessor_id", "successor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    from_fy: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
