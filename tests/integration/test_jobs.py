"""Background jobs (issue 18): the class certificate ZIP as a job; who may see, cancel, retry
and download it; a failure said in Japanese; a dead worker's job queued again; expiry.

The routes run against Huey itself: its immediate mode (the task runs at once, in-process) or
its SQLite queue in a temporary folder, with the worker's function called directly. The real
worker process, SIGKILL and gunicorn are in tests/load/test_jobs_worker.py.
"""
from __future__ import annotations

import datetime as dt
import io
import threading
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from tests.conftest import AuthActions
from tests.support.jobs import certified_class
from tests.support.learner import csrf
from training.extensions import db
from training.jobs import runner
from training.jobs.queue import get_huey
from training.models import AuditEntry, Cohort, CohortOwner, Job, User, utcnow


@pytest.fixture
def app_config(app_config, tmp_path, request):
    # A class of one certificate is already "large": the job path with the least rendering.
    config = dict(app_config, JOB_DIR=str(tmp_path / "jobs"), CERTIFICATE_ZIP_DIRECT_MAX=1,
                  JOB_QUEUE_IMMEDIATE=False)
    config.update(getattr(request, "param", {}))
    return config


def _client(app, login_id):
    client = app.test_client()
    assert AuthActions(client).login(login_id).status_code == 302
    return client


def _start(client, cohort_id) -> int:
    token = csrf(client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True))
    response = client.post(f"/teach/classes/{cohort_id}/certificates-job", data={"csrf_token": token})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.status_code
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _post(client, url):
    return client.post(url, data={"csrf_token": AuthActions(client).csrf_token("/help")})


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _actions(app):
    with app.app_context():
        return [(e.action, e.target_id) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.parametrize("app_config", [{"JOB_QUEUE_IMMEDIATE": True}], indirect=True)
def test_a_large_class_zip_is_a_job_its_file_only_for_those_who_run_the_class(app, create_user_factory):
    _oid, owner = create_user_factory("instructor", audience=None)
    other_id, other = create_user_factory("instructor", audience=None)
    _aid, admin = create_user_factory("admin", audience=None)
    _tid, trainee = create_user_factory("trainee")
    cohort_id = certified_class(app, owner, 2)
    client = _client(app, owner)
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    assert "修了証をまとめて作成（ZIP・2件）" in page and f"/teach/classes/{cohort_id}/certificates.zip\"" not in page
    # The direct download is refused for a class this size: it would be long work in a request.
    direct = client.get(f"/teach/classes/{cohort_id}/certificates.zip", follow_redirects=True)
    assert "画面の裏で作成します" in direct.get_data(as_text=True)
    # No CSRF token: refused, nothing started.
    assert client.post(f"/teach/classes/{cohort_id}/certificates-job").status_code == 400
    job_id = _start(client, cohort_id)
    job = _job(app, job_id)
    assert (job.status, job.done_items, job.total_items, job.attempts) == ("done", 2, 2, 1)
    assert Path(job.file_path).is_file() and job.expires_at > utcnow() + dt.timedelta(days=6)
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["done"] == 2 and status["percent"] == 100 and status["finished"] is True
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "完了しました（2件）" in page and f"/jobs/{job_id}/download" in page and "7日間" in page
    assert "修了証のZIP（収納課 研修）" in client.get("/jobs/").get_data(as_text=True)
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    assert sorted(archive.namelist()) == ["GK2026-00001_受講者0001.pdf", "GK2026-00002_受講者0002.pdf"]
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    assert ("job.start", str(job_id)) in _actions(app) and ("class.certificates_zip", str(job_id)) in _actions(app)

    # Who does not run the class: 404 on every job route, as for the class itself.
    for who in (other, trainee):
        stranger = _client(app, who)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
            assert stranger.get(url).status_code == 404, (who, url)
        for url in (f"/jobs/{job_id}/cancel", f"/jobs/{job_id}/retry"):
            assert _post(stranger, url).status_code == 404, (who, url)
        assert "収納課" not in stranger.get("/jobs/").get_data(as_text=True)
    admin_client = _client(app, admin)
    assert admin_client.get(f"/jobs/{job_id}").status_code == 200
    admin_download = admin_client.get(f"/jobs/{job_id}/download")
    assert admin_download.status_code == 200
    admin_download.close()
    # The class's rule of today decides: a new co-owner may download; the maker, removed, may not.
    with app.app_context():
        owner_id = db.session.scalar(select(User.id).where(User.login_id == owner))
        db.session.add(CohortOwner(cohort_id=cohort_id, user_id=other_id))
        db.session.execute(delete(CohortOwner).where(CohortOwner.cohort_id == cohort_id,
                                                     CohortOwner.user_id == owner_id))
        db.session.commit()
    assert _client(app, other).get(f"/jobs/{job_id}").status_code == 200
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_cancel_before_and_during_the_run_then_retry(app, create_user_factory):
    app.config["JOB_ITEM_DELAY_SECONDS"] = 0.2
    _oid, owner = create_user_factory("instructor", audience=None)
    cohort_id = certified_class(app, owner, 2)
    client = _client(app, owner)
    job_id = _start(client, cohort_id)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "順番待ちです" in page and "作成を取り消す" in page and "最新の状態を表示する" in page
    assert f'data-job-status-url="/jobs/{job_id}/status"' in page and "/static/jobs.js" in page
    assert [t.args for t in get_huey(app).pending()] == [(job_id,)]
    cancelled = _post(client, f"/jobs/{job_id}/cancel")
    assert "取り消しました" in client.get(cancelled.headers["Location"]).get_data(as_text=True)
    assert _job(app, job_id).status == "cancelled"
    with app.app_context():
        runner.execute(app, job_id)  # the queued task, taken after the cancel: does nothing
    assert (_job(app, job_id).status, _job(app, job_id).attempts) == ("cancelled", 0)
    again = _post(client, f"/jobs/{job_id}/cancel")
    assert "取り消せません" in client.get(again.headers["Location"]).get_data(as_text=True)
    _post(client, f"/jobs/{job_id}/retry")
    assert _job(app, job_id).status == "queued"
    assert ("job.cancel", str(job_id)) in _actions(app) and ("job.retry", str(job_id)) in _actions(app)

    # Cancelled while it runs: the worker stops between two certificates and keeps no file.
    def work():
        with app.app_context():
            runner.execute(app, job_id)

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 20
    while _job(app, job_id).done_items < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    _post(client, f"/jobs/{job_id}/cancel")
    worker.join(20)
    job = _job(app, job_id)
    assert job.status == "cancelled" and job.done_items == 1 and job.file_path is None
    assert list(Path(app.config["JOB_DIR"]).glob("job-*")) == []
    # Retried, it runs to the end.
    app.config["JOB_ITEM_DELAY_SECONDS"] = 0
    _post(client, f"/jobs/{job_id}/retry")
    with app.app_context():
        runner.execute(app, job_id)
    job = _job(app, job_id)
    assert (job.status, job.done_items, job.total_items) == ("done", 2, 2) and job.file_size > 0


def test_a_failure_is_said_in_japanese_and_can_be_retried(app, create_user_factory):
    _oid, owner = create_user_factory("instructor", audience=None)
    cohort_id = certified_class(app, owner, 2)
    client = _client(app, owner)
    job_id = _start(client, cohort_id)
    # The worker cannot write its file (its partial file's name is taken by a folder).
    blocker = Path(app.config["JOB_DIR"]) / f"job-{job_id}.part"
    blocker.mkdir()
    with app.app_context():
        runner.execute(app, job_id)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert _job(app, job_id).status == "failed" and runner.GENERIC_ERROR in page
    assert "Traceback" not in page and "IsADirectoryError" not in page and "もう一度作成する" in page
    blocker.rmdir()
    _post(client, f"/jobs/{job_id}/retry")
    # Deleted in between: the kind's own message.
    with app.app_context():
        db.session.execute(delete(CohortOwner).where(CohortOwner.cohort_id == cohort_id))
        db.session.execute(delete(Cohort).where(Cohort.id == cohort_id))
        db.session.commit()
        runner.execute(app, job_id)
    job = _job(app, job_id)
    assert job.status == "failed" and job.error == "クラスが削除されたため、修了証のZIPを作れませんでした。"
    assert "クラスが削除された" in client.get(f"/jobs/{job_id}").get_data(as_text=True)  # its maker still sees it


def test_a_dead_workers_jobs_are_queued_again_then_given_up(app, create_user_factory):
    owner_id, _owner = create_user_factory("instructor", audience=None)
    now = utcnow()
    old = now - dt.timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)
    with app.app_context():
        rows = [Job(kind="certificate_zip", owner_id=owner_id, title=f"t{n}", params={"cohort_id": 1},
                    status=status, attempts=attempts, heartbeat_at=beat, queued_at=queued, created_at=queued)
                for n, (status, attempts, beat, queued) in enumerate([
                    ("running", 1, old, old),     # stale: queued again
                    ("running", 3, old, old),     # stale, third attempt: given up
                    ("running", 1, now, old),     # beating: left alone
                    ("queued", 0, None, old),     # the queue lost it (worker killed after taking it)
                ])]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        get_huey(app).training_run_job(ids[3] + 100)  # someone else's task in the queue: harmless
        requeued, given_up = runner.recover_stale(app, now)
        assert sorted(requeued) == [ids[0], ids[3]] and given_up == [ids[1]]
        assert sorted(t.args[0] for t in get_huey(app).pending()) == sorted([ids[0], ids[3], ids[3] + 100])
        jobs = {j.id: j for j in db.session.scalars(select(Job))}
        assert [jobs[i].status for i in ids] == ["queued", "failed", "running", "queued"]
        assert "3回試した" in jobs[ids[1]].error
        # A second watchdog at the same moment finds nothing more to do.
        assert runner.recover_stale(app, now) == ([], [])


def test_files_are_erased_after_the_keeping_time(app, create_user_factory, runner_cli=None):
    owner_id, owner = create_user_factory("instructor", audience=None)
    folder = Path(app.config["JOB_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    kept, expired, orphan = folder / "job-1-a.zip", folder / "job-2-b.zip", folder / "job-99.part"
    for path in (kept, expired, orphan):
        path.write_bytes(b"PK")
    now = utcnow()
    with app.app_context():
        cohort_id = certified_class(app, owner, 0)
        for path, expires in ((kept, now + dt.timedelta(days=1)), (expired, now - dt.timedelta(minutes=1))):
            db.session.add(Job(kind="certificate_zip", owner_id=owner_id, title="修了証のZIP", status="done",
                               params={"cohort_id": cohort_id}, file_path=str(path), file_name="class.zip",
                               file_size=2, expires_at=expires, finished_at=now))
        db.session.commit()
        expired_id = db.session.scalar(select(Job.id).where(Job.file_path == str(expired)))
    result = app.test_cli_runner().invoke(args=["jobs", "purge"])
    assert result.exit_code == 0 and "2 件削除しました" in result.output
    assert kept.exists() and not expired.exists() and not orphan.exists()
    assert _job(app, expired_id).file_path is None
    client = _client(app, owner)
    gone = client.get(f"/jobs/{expired_id}/download")
    assert gone.status_code == 410 and "保存期間（7日間）を過ぎた" in gone.get_data(as_text=True)
    _post(client, f"/jobs/{expired_id}/retry")
    assert _job(app, expired_id).status == "queued"


@pytest.mark.parametrize("app_config", [{"JOB_QUEUE_IMMEDIATE": True, "RECORDS_EXPORT_DIRECT_MAX": 2}], indirect=True)
def test_a_large_completion_export_is_a_job_for_personnel(app, create_user_factory):
    from openpyxl import load_workbook

    from training.dates import fiscal_year_of, today_jst

    _iid, instructor = create_user_factory("instructor", audience=None)
    _pid, personnel = create_user_factory("personnel", audience=None)
    _qid, colleague = create_user_factory("personnel", audience=None)
    certified_class(app, instructor, 3)
    client = _client(app, personnel)
    token = csrf(client.get("/records/export").get_data(as_text=True))
    year = str(fiscal_year_of(today_jst()))  # the members completed today
    ids = {}
    for fmt in ("xlsx", "csv_cp932"):
        response = client.post("/records/export", data={"csrf_token": token, "fiscal_year": year, "format": fmt})
        assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.get_data(as_text=True)[:300]
        ids[fmt] = int(response.headers["Location"].rsplit("/", 1)[1])
        assert _job(app, ids[fmt]).status == "done" and _job(app, ids[fmt]).total_items == 3
    download = client.get(f"/jobs/{ids['xlsx']}/download")
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(download.data), read_only=True).active
    names = [row[1] for row in sheet.iter_rows(values_only=True) if row and str(row[1] or "").startswith("受講者")]
    download.close()
    assert names == ["受講者 0001", "受講者 0002", "受講者 0003"]
    csv_download = client.get(f"/jobs/{ids['csv_cp932']}/download")
    text = csv_download.data.decode("cp932")
    csv_download.close()
    assert csv_download.headers["Content-Type"] == "text/csv; charset=shift_jis"
    assert text.startswith("職員番号,氏名") and text.count("受講者 ") == 3
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "records.export",
                                                           AuditEntry.target_id == str(ids["xlsx"])))
        assert entry.detail["rows"] == 3 and entry.detail["format"] == "xlsx" and entry.detail["via"] == "job"
    # Personnel and admins may open it (they could make the same file); instructors may not.
    assert _client(app, colleague).get(f"/jobs/{ids['xlsx']}").status_code == 200
    assert _client(app, instructor).get(f"/jobs/{ids['xlsx']}").status_code == 404
