"""Administrator settings kept in the database (so every app server sees the same)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, JSONType, UTCDateTime, utcnow


class SiteSetting(Base):
    """One setting: organisation name, certificate signatory, seal image, date style…"""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
