"""The registry of job kinds. A kind says how to run the work, who may see and download the
result, and what to audit on download; a new kind is one module that calls :func:`register`
(see training/jobs/certificate_zip.py, about 30 lines) and one line at the bottom of this file.

A kind with ``file=False`` (sending reminders, a retention run) writes no file: its run
function gets ``target=None``, may keep a small result in ``progress.result`` (a dict, stored
in the job's ``result`` column with each progress write and when the run ends, however it
ends: what the last run did), and its ``summary(job)`` says in Japanese what was done; the job
page shows that instead of a download button.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from training.models import Job, User


@dataclass(frozen=True)
class JobKind:
    name: str
    #: Japanese, for the lists ("修了証のZIP").
    label: str
    #: ``run(job, target, progress)``: write the file into ``target`` (binary); call
    #: ``progress.start(total)`` once, then ``progress(done)`` after each item; raise
    #: ``runner.JobError("…")`` for a failure to explain in Japanese. Runs in the worker, in an
    #: app and request context; end any read transaction before the long part (SQLite).
    run: Callable[[Job, BinaryIO, object], None]
    #: ``can_access(user, job)``: who may see the job and download its file besides nobody;
    #: checked on every job page, so losing the right (a class handed over) ends it.
    can_access: Callable[[User, Job], bool]
    mimetype: str
    #: Audit action written on each download (with the job's id and file name).
    audit_action: str
    #: More detail for that audit entry (``audit_detail(job) -> dict``), as the direct download writes.
    audit_detail: Callable[[Job], dict] | None = None
    #: The file's type when it depends on the job (``mimetype_for(job)``); else ``mimetype``.
    mimetype_for: Callable[[Job], str] | None = None
    #: False for work that leaves no file (its result is a summary on the job page).
    file: bool = True
    #: ``summary(job) -> str | None``: what a finished (or cancelled, or failed) run did, in Japanese.
    summary: Callable[[Job], str | None] | None = None
    #: ``details(job) -> list[tuple[str, str]]``: rows to list under the summary (e.g. each
    #: reminder that could not be sent, with why), or None.
    details: Callable[[Job], list] | None = None
    #: Where the person goes back to from the job page: ``back(job) -> (label, url)`` or None.
    back: Callable[[Job], tuple[str, str] | None] | None = None
    #: When the file is erased, if sooner than JOB_FILE_DAYS (``expires_for(job) -> datetime``):
    #: the ID通知書 PDF holds passwords, so it lives no longer than its slips' 24 hours.
    expires_for: Callable[[Job], object] | None = None
    #: The file can be downloaded once, then it is erased (a file with passwords).
    once: bool = False


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


from training.jobs import certificate_zip  # noqa: E402,F401 - registers "certificate_zip"
from training.jobs import records_export  # noqa: E402,F401 - registers "records_export"
from training.jobs import reminders  # noqa: E402,F401 - registers "reminders" (no file)
from training.jobs import retention  # noqa: E402,F401 - registers "retention" (no file)
from training.jobs import slips_pdf  # noqa: E402,F401 - registers "slips_pdf" (one download)
from training.jobs import yearly_report  # noqa: E402,F401 - registers "yearly_report"
