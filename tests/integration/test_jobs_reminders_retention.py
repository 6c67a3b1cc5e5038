"""Jobs without a file (issue 18): reminders by SMTP to more than REMINDER_DIRECT_MAX people,
from a class's page and from the department page, and a retention run from /admin/retention.

A real SMTP server on loopback (tests/support/smtp.py); the job runs in Huey's immediate mode,
or from its SQLite queue with the worker's function called directly (as test_jobs.py does)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from tests.conftest import AuthActions
from tests.integration.test_reminders import _class
from tests.integration.test_reminders_retry import REFUSED, RefusingInbox
from tests.support.classes import make_class
from tests.support.learner import csrf
from tests.support.smtp import app_mail_to
from training import site_settings
from training.extensions import db
from training.jobs import runner
from training.models import AuditEntry, CourseCompletion, Job, Reminder, User, utcnow

BATCH = re.compile(r'name="batch" value="([^"]+)"')


@pytest.fixture
def app_config(app_config, tmp_path, request):
    config = dict(app_config, JOB_DIR=str(tmp_path / "jobs"), JOB_QUEUE_IMMEDIATE=False, REMINDER_DIRECT_MAX=2)
    config.update(getattr(request, "param", {}))
    return config


@pytest.fixture
def smtp(app):
    inbox = RefusingInbox()
    with app_mail_to(app, inbox):
        yield inbox


def _client(app, login_id):
    client = app.test_client()
    assert AuthActions(client).login(login_id).status_code == 302
    return client


def _job_id(response) -> int:
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.status_code
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _recipients(inbox) -> list[str]:
    return sorted(address for message in inbox.messages for address in message.rcpt_tos)


def _audit(app, action) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


def _post(client, url):
    return client.post(url, data={"csrf_token": AuthActions(client).csrf_token("/help")})


@pytest.mark.parametrize("app_config", [{"JOB_QUEUE_IMMEDIATE": True}], indirect=True)
def test_a_class_send_to_more_than_the_threshold_is_a_job_with_a_summary(app, smtp, create_user_factory):
    _iid, instructor = create_user_factory("instructor", audience=None)
    _oid, other = create_user_factory("instructor", audience=None)
    _aid, admin = create_user_factory("admin", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", REFUSED, "c@example.jp", ""])
    client = _client(app, instructor)
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "group": "overdue", "batch": BATCH.search(page).group(1)}
    job_id = _job_id(client.post(f"/teach/classes/{cohort_id}/reminders", data=form))
    # Three by SMTP (one refused), one without an address: each recorded once, sent once.
    assert _recipients(smtp) == ["a@example.jp", "c@example.jp"]
    job = _job(app, job_id)
    assert (job.kind, job.status, job.done_items, job.total_items, job.file_path) == ("reminders", "done", 3, 3, None)
    assert job.result == {"sent": 2, "failed": 1} and "result" not in job.params  # the output has its own column
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "送信待ちのお願いが3件あります" in page and "ほかに、メールアドレスなし 1件を記録しました" in page  # the flash
    assert "送信 2件・送信失敗 1件・メールアドレスなし 1件です。" in page
    assert f"受講者 1（{REFUSED}）" in page and "送信失敗：" in page and "550" in page
    assert f"/jobs/{job_id}/download" not in page and "保存期間" not in page and "未修了者・受講のお願いに戻る" in page
    assert client.get(f"/jobs/{job_id}/download").status_code == 302
    assert "ファイルなし" in client.get("/jobs/").get_data(as_text=True)
    refused = _post(client, f"/jobs/{job_id}/retry")
    assert "やり直す必要はありません" in client.get(refused.headers["Location"]).get_data(as_text=True)
    recorded, = _audit(app, "class.reminders")
    assert recorded.detail["job"] == job_id and recorded.detail["pending"] == 3 and recorded.detail["no_email"] == 1
    sent, = _audit(app, "reminders.job_send")
    assert (sent.detail["sent"], sent.detail["failed"], sent.target_id) == (2, 1, str(job_id))
    with app.app_context():
        assert sent.actor_id == db.session.scalar(select(User.id).where(User.login_id == instructor))
    # The same form again: everyone is on record in this batch; nobody is mailed twice, no new job.
    again = client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    assert "/jobs/" not in again.headers["Location"] and len(smtp.messages) == 2
    assert "二重送信の防止" in client.get(again.headers["Location"]).get_data(as_text=True)
    # A new form within 24 hours asks first, as before, and records nothing yet.
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    confirm = client.post(f"/teach/classes/{cohort_id}/reminders",
                          data={"csrf_token": csrf(page), "group": "overdue", "batch": BATCH.search(page).group(1)})
    assert confirm.status_code == 200 and "24時間以内" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Reminder).count() == 4
    # Who runs the class today (and admins) may see the job; another instructor may not.
    assert _client(app, other).get(f"/jobs/{job_id}").status_code == 404
    assert _client(app, admin).get(f"/jobs/{job_id}").status_code == 200


class CancellingInbox(RefusingInbox):
    """Accepts mail; on the first message, runs ``on_first`` (a cancel pressed during the send)."""

    on_first = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        if len(self.messages) == 1 and self.on_first:
            self.on_first()
        return "250 OK"


def test_department_send_as_a_job_cancelled_between_messages_then_continued(app, create_user_factory):
    _oid, owner = create_user_factory("instructor", audience=None)
    _pid, clerk = create_user_factory("personnel", audience=None)
    _qid, colleague = create_user_factory("personnel", audience=None)
    people = [create_user_factory("trainee", email=f"p{n}@example.jp")[0] for n in range(4)]
    first = make_class(app, owner, name="窓口A", member_ids=people[:2], due_on=dt.date(2026, 5, 1))
    second = make_class(app, owner, name="窓口B", member_ids=people[2:], due_on=dt.date(2026, 5, 1))
    client = _client(app, clerk)
    page = client.get("/records/unfinished?year=2026").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "batch": BATCH.search(page).group(1), "year": "2026", "status": "overdue",
            "to": "listed"}
    inbox = CancellingInbox()
    with app_mail_to(app, inbox):
        job_id = _job_id(client.post("/records/unfinished", data=form))
        # Queued: cancelled before the worker takes it; the four rows wait, pending.
        _post(client, f"/jobs/{job_id}/cancel")
        with app.app_context():
            runner.execute(app, job_id)
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert "送っていない4件は「送信待ち」のまま記録しています" in page and "続きを実行する" in page
        assert inbox.messages == []

        def cancel():  # pressed while the first mail is on its way (no lock is held meanwhile)
            with app.app_context():
                db.session.execute(update(Job).where(Job.id == job_id).values(status="cancelled"))
                db.session.commit()

        inbox.on_first = cancel
        _post(client, f"/jobs/{job_id}/retry")
        with app.app_context():
            runner.execute(app, job_id)
        job = _job(app, job_id)
        assert len(inbox.messages) == 1 and job.status == "cancelled" and job.result == {"sent": 1, "failed": 0}
        assert "送っていない3件" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
        inbox.on_first = None
        _post(client, f"/jobs/{job_id}/retry")
        # The same form again while the continued run waits opens that job: its params are
        # still exactly the input (the cancelled run's result is not among them).
        assert _job_id(client.post("/records/unfinished", data=form)) == job_id
        with app.app_context():
            runner.execute(app, job_id)
    assert _recipients(inbox) == [f"p{n}@example.jp" for n in range(4)]  # each once
    job = _job(app, job_id)
    assert job.status == "done" and job.total_items == 3 and job.result == {"sent": 3, "failed": 0}  # the last run's
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "送信 4件・送信失敗 0件" in page and "所属別の未修了者に戻る" in page
    with app.app_context():
        rows = db.session.scalars(select(Reminder)).all()
        assert {(r.cohort_id, r.status) for r in rows} == {(first, "sent"), (second, "sent")} and len(rows) == 4
    recorded, resubmitted = _audit(app, "records.reminders")
    assert recorded.detail["job"] == job_id and recorded.detail["pending"] == 4 and len(recorded.detail["groups"]) == 2
    assert (resubmitted.detail["job"], resubmitted.detail["pending"]) == (job_id, 3)
    assert [e.detail["sent"] for e in _audit(app, "reminders.job_send")] == [1, 3]  # one entry per run
    # The clerk's outbox is theirs alone: a colleague and the class's instructor may not open it.
    assert _client(app, colleague).get(f"/jobs/{job_id}").status_code == 404
    assert _client(app, owner).get(f"/jobs/{job_id}").status_code == 404


def _aged(app, user_id, when, completed=None):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.created_at, user.last_login_at = when, None
        if completed:
            db.session.add(CourseCompletion(user_id=user_id, course_id="counter-staff", content_version="v", score=90,
                                            completed_at=completed, audience="counter_staff"))
        db.session.commit()


@pytest.mark.parametrize("app_config", [{"JOB_QUEUE_IMMEDIATE": True}], indirect=True)
def test_the_retention_page_counts_then_a_confirmed_job_erases_exactly_the_due(app, create_user_factory):
    admin_id, admin = create_user_factory("admin", audience=None)
    long_ago, recently = dt.datetime(2018, 4, 2, 9, tzinfo=dt.UTC), utcnow() - dt.timedelta(days=30)
    old = [create_user_factory("trainee", display_name=f"古い {n}", email=f"o{n}@example.jp")[0] for n in range(3)]
    kept_trainee, _ = create_user_factory("trainee", display_name="最近修了")
    staff, _ = create_user_factory("instructor", audience=None, display_name="古い 研修担当")
    for user_id in (*old, kept_trainee, staff):
        _aged(app, user_id, long_ago, completed=recently if user_id == kept_trainee else None)
    client = _client(app, admin)
    settings = client.get("/admin/settings").get_data(as_text=True)
    assert 'href="/admin/retention"' in settings
    assert "保存年数が設定されていません" in client.get("/admin/retention").get_data(as_text=True)
    with app.app_context():
        site_settings.save(retention_years=5)
        db.session.commit()
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "<strong>3人</strong>" in page and "2018年4月2日" in page and "古い 0" not in page
    token = csrf(page)
    confirm = client.post("/admin/retention", data={"csrf_token": token}).get_data(as_text=True)
    assert "3人の個人情報を削除します。元に戻せません" in confirm and 'name="expected" value="3"' in confirm
    # Confirmed for fewer people than are due now: asked again, nothing erased.
    stale = client.post("/admin/retention", data={"csrf_token": token, "confirm": "yes", "expected": "2", "years": "5"})
    assert stale.status_code == 409 and "何も削除していません" in stale.get_data(as_text=True)
    assert client.post("/admin/retention", data={"confirm": "yes", "expected": "3", "years": "5"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User.display_name).where(User.id == old[0])) == "古い 0"
    job_id = _job_id(client.post("/admin/retention", data={"csrf_token": token, "confirm": "yes", "expected": "3",
                                                           "years": "5"}))
    job = _job(app, job_id)
    assert (job.kind, job.status, job.done_items, job.total_items) == ("retention", "done", 3, 3)
    assert job.result == {"erased": 3, "due": 3} and set(job.params) == {"years", "as_of", "base_url"}
    with app.app_context():
        names = dict(db.session.execute(select(User.id, User.display_name)).tuples().all())
    assert [names[i] for i in old] == ["（保存期間経過により削除）"] * 3
    assert (names[kept_trainee], names[staff]) == ("最近修了", "古い 研修担当")
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "3人の個人情報を削除しました（修了の件数は匿名で残しています）。" in page and "/download" not in page
    entry, = _audit(app, "retention.erase")
    assert (entry.detail["users"], entry.detail["via"], entry.actor_id, entry.target_id) == (3, "job", admin_id,
                                                                                             str(job_id))
    after = client.get("/admin/retention").get_data(as_text=True)
    assert "<strong>0人</strong>" in after and "削除の対象になる方はいません" in after and f"/jobs/{job_id}" in after
    # Admins only: an instructor or personnel gets 403 on the page and 404 on the job.
    for role in ("instructor", "personnel"):
        _uid, login = create_user_factory(role, audience=None)
        other = _client(app, login)
        assert other.get("/admin/retention").status_code == 403 and other.get(f"/jobs/{job_id}").status_code == 404


def test_a_retention_run_killed_part_way_is_audited_per_step_and_continued(app, create_user_factory, monkeypatch):
    from training.jobs import retention as retention_job
    from training.records import retention

    _aid, admin = create_user_factory("admin", audience=None)
    old = [create_user_factory("trainee", display_name=f"古い {n}")[0] for n in range(3)]
    for user_id in old:
        _aged(app, user_id, dt.datetime(2018, 4, 2, 9, tzinfo=dt.UTC))
    with app.app_context():
        site_settings.save(retention_years=5)
        db.session.commit()
    client = _client(app, admin)
    token = csrf(client.get("/admin/retention").get_data(as_text=True))
    job_id = _job_id(client.post("/admin/retention", data={"csrf_token": token, "confirm": "yes", "expected": "3",
                                                           "years": "5"}))
    # A second click while it waits opens the same run.
    again = client.post("/admin/retention", data={"csrf_token": token, "confirm": "yes", "expected": "3", "years": "5"})
    assert again.headers["Location"].endswith(f"/jobs/{job_id}")
    monkeypatch.setattr(retention_job, "STEP", 1)
    real, calls = retention.erase_people, []

    def dies_on_the_second(users):
        calls.append(users)
        if len(calls) == 2:
            raise SystemExit("worker killed")  # mid-step: that step's transaction is lost
        return real(users)

    monkeypatch.setattr(retention, "erase_people", dies_on_the_second)
    with pytest.raises(SystemExit), app.app_context():
        runner.execute(app, job_id)
    monkeypatch.setattr(retention, "erase_people", real)
    assert [e.detail["users"] for e in _audit(app, "retention.erase")] == [1]  # the one step that was committed
    assert _job(app, job_id).result == {"erased": 1, "due": 3}  # how far the run got
    later = utcnow() + dt.timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)
    with app.app_context():
        db.session.remove()
        assert runner.recover_stale(app, later) == ([job_id], [])
        runner.execute(app, job_id)
        names = db.session.scalars(select(User.display_name).where(User.id.in_(old))).all()
    job = _job(app, job_id)
    assert names == ["（保存期間経過により削除）"] * 3 and job.status == "done"
    assert job.result == {"erased": 2, "due": 2}  # the last run's: the two still due when it started
    assert [e.detail["users"] for e in _audit(app, "retention.erase")] == [1, 1, 1]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "3人の個人情報を削除しました" in page and "まだ削除していません" not in page
