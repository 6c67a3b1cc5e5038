"""Job kind: every current certificate of a class's members, as one ZIP (issue 18).

A class of more than CERTIFICATE_ZIP_DIRECT_MAX certificates is made here, in the worker;
smaller ones stay a direct download (training/teach/routes.py certificates_zip). Rendering is
the whole cost (about 0.15 s a certificate, CPU-bound): with JOB_RENDER_PROCESSES above 1 the
PDFs are rendered by that many processes (started for the job, "spawn": nothing of the
worker's threads or connections is copied) and written into the ZIP in order.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor

from flask import current_app

from training.certificates.render import render_pdf
from training.certificates.service import certificate_data, file_name
from training.dates import JST
from training.extensions import db
from training.jobs.kinds import JobKind, register
from training.models import Cohort, Job, User

#: Certificates handed to a rendering process at a time.
CHUNK = 4


def _rendered(datas: list, processes: int):
    """The PDFs in order: rendered here, or by a pool of processes (shut down on any exit,
    a cancel included, without waiting for the certificates still queued)."""
    if processes <= 1 or len(datas) <= CHUNK:
        for data in datas:
            yield render_pdf(data)
        return
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield from pool.map(render_pdf, datas, chunksize=CHUNK)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run(job: Job, target, progress) -> None:
    from training.jobs.runner import JobError
    from training.site_settings import load as load_settings
    from training.teach.routes import class_certificates

    cohort = db.session.get(Cohort, job.params["cohort_id"])
    if cohort is None:
        raise JobError("クラスが削除されたため、修了証のZIPを作れませんでした。")
    settings = load_settings()
    certificates = class_certificates(cohort)
    names = [file_name(c) for c in certificates]
    datas = [certificate_data(c, settings) for c in certificates]
    db.session.rollback()  # the facts are read; the rendering needs no database
    progress.start(len(datas))
    now = dt.datetime.now(JST).timetuple()[:6]
    processes = int(current_app.config.get("JOB_RENDER_PROCESSES") or 1)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for number, (name, pdf) in enumerate(zip(names, _rendered(datas, processes)), start=1):
            archive.writestr(zipfile.ZipInfo(name, date_time=now), pdf)
            progress(number)  # a cancel stops here, between two certificates


def _can_access(user: User, job: Job) -> bool:
    """As the direct download: admins, and the people who run the class (today, not when started)."""
    cohort = db.session.get(Cohort, job.params.get("cohort_id"))
    if cohort is None:
        return user.id == job.owner_id  # the failed job of a deleted class stays visible to its maker
    return user.has_role("admin") or (user.has_role("instructor") and user.id in {o.user_id for o in cohort.owners})


KIND = register(JobKind(name="certificate_zip", label="修了証のZIP（クラス）", run=_run, can_access=_can_access,
                        mimetype="application/zip", audit_action="class.certificates_zip"))
