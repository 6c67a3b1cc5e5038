"""Background jobs (issue 18): the record of truth for long work done by ``training worker``."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, JSONType, UTCDateTime, utcnow

#: Status -> Japanese label.
JOB_STATUSES = {
    "queued": "順番待ち",
    "running": "作成中",
    "done": "完了",
    "failed": "失敗",
    "cancelled": "取り消し",
}


class Job(Base):
    """One piece of long work (a class's certificate ZIP, a large export…).

    The queue (Huey) only carries the job's id; everything the pages show is here: status,
    progress (``done_items`` of ``total_items``), times, the Japanese error, and the file the
    job wrote into the instance folder's ``jobs/`` directory, kept until ``expires_at``.
    ``heartbeat_at`` is renewed by the worker while it runs the job: a running job whose
    heartbeat is stale belongs to a worker that died, and is queued again (``attempts``).

    ``params`` are the job's input (set when it is started, compared to find an identical job);
    ``result`` is its output when it makes no file: what its last run did (reminders: sent and
    failed; a retention run: erased of due), written by the worker with each progress step and
    when the run ends, however it ends. None until a run has done something.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    done_items: Mapped[int] = mapped_column(Integer, default=0)
    total_items: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: SQL NULL when there is none (not a JSON ``null``), so ``result IS NULL`` means "no result".
    result: Mapped[dict | None] = mapped_column(JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"))

    @property
    def status_label(self) -> str:
        return JOB_STATUSES.get(self.status, self.status)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")
