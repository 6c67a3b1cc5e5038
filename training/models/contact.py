"""The ward's edits of help-now contacts and directory entries, their history and verifications.

The content files (modules/help_contacts.yaml, modules/directory.yaml) stay the default; a
``ContactEdit`` row holds only the fields the ward changed over one entry (or every field of a
contact the ward added). Each change is a ``ContactRevision`` (old -> new per field), each
「確認しました」 a ``ContactVerification``. See training/contact_edits.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, JSONType, UTCDateTime, utcnow

#: What an edit is about: a help-now line or a directory entry.
EDIT_KINDS = ("contact", "directory")


class ContactEdit(Base):
    """The ward's current values over one content entry: only the fields that differ from the file."""

    __tablename__ = "contact_edit"
    __table_args__ = (UniqueConstraint("kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    added: Mapped[bool] = mapped_column(Boolean, default=False)    # a contact the ward added (not in the file)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)   # not shown to anyone; history kept
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class ContactRevision(Base):
    """One saved change: who, when, and for each changed field the old and the new value."""

    __tablename__ = "contact_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changes: Mapped[dict] = mapped_column(JSONType, default=dict)  # field -> [old, new]


class ContactVerification(Base):
    """「確認しました」: who checked a help-now line against which source, when, and what it said then."""

    __tablename__ = "contact_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    source_url: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column(JSONType, default=dict)  # the line's values when it was checked
