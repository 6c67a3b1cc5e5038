"""Login slips (ID通知書) waiting to be downloaded: one batch per roster import or reset."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class SlipBatch(Base):
    """The first-login passwords of one import or reset, encrypted, until downloaded.

    ``payload`` is the slips' data (names, login ids, passwords) encrypted with a key derived
    from the app's secret (training/teach/slips.py). The PDF and the CSV can each be
    downloaded once; the payload is erased when both have been, or 24 hours after the batch
    was made, whichever comes first. The row itself stays (who, when, how many) so that a
    second download can say plainly that the slips are gone.
    """

    __tablename__ = "slip_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))          # roster | reset
    count: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    pdf_downloaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    csv_downloaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
