"""Reminders: through a real SMTP server on loopback, or to the outbox, always recorded."""
import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from tests.support.learner import csrf
from tests.support.smtp import Inbox, loopback_smtp
from training.extensions import db
from training.models import Cohort, CohortMember, CohortOwner, Reminder, User


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with loopback_smtp(inbox) as port:
        yield port, inbox


def _batch(page: str) -> str:
    """The batch key of the reminders form (one per page load: a resubmission sends nothing)."""
    match = re.search(r'name="batch" value="([^"]+)"', page)
    return match.group(1) if match else "no-form-on-the-page-0"


def _class(app, instructor, emails):
    with app.app_context():
        inst = db.session.scalar(select(User).where(User.login_id == instructor))
        cohort = Cohort(name="リマインド確認", audience="counter_staff", fiscal_year=2026, due_on=dt.date(2020, 4, 1))
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortOwner(cohort_id=cohort.id, user_id=inst.id))
        for n, email in enumerate(emails):
            user = User(login_id=f"r{n}", display_name=f"受講者 {n}", password_hash="x", email=email,
                        audience="counter_staff")
            user.set_roles({"trainee"})
            db.session.add(user)
            db.session.flush()
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
        db.session.commit()
        return cohort.id


def test_reminders_through_smtp_are_sent_and_recorded(app, client, login_as, smtp_server):
    port, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="kenshu@example.jp")
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", None, "c@example.jp"])
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert "期限を過ぎた方（3人）" in page
    response = client.post(f"/teach/classes/{cohort_id}/reminders", data={"csrf_token": csrf(page), "group": "overdue", "batch": _batch(page)})
    assert response.status_code == 302
    assert sorted(m.rcpt_tos[0] for m in inbox.messages) == ["a@example.jp", "c@example.jp"]
    body = inbox.messages[0].content.decode()
    assert "Subject:" in body
    with app.app_context():
        statuses = sorted(r.status for r in db.session.scalars(select(Reminder)))
    assert statuses == ["no_email", "sent", "sent"]


def test_without_smtp_reminders_go_to_the_outbox(app, client, login_as):
    app.config["MAIL_SERVER"] = ""
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", "=cmd@example.jp"])
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert "送信箱" in page
    client.post(f"/teach/classes/{cohort_id}/reminders", data={"csrf_token": csrf(page), "group": "overdue", "batch": _batch(page)})
    data = client.get(f"/teach/classes/{cohort_id}/reminders.csv").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["氏名", "メールアドレス", "件名", "本文", "対象", "記録日時"]
    assert {r[1] for r in rows[1:]} == {"a@example.jp", "'=cmd@example.jp"}
    history = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert "送信待ち" in history


def test_unknown_group_is_refused(app, client, login_as):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, [])
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert client.post(f"/teach/classes/{cohort_id}/reminders",
                       data={"csrf_token": csrf(page), "group": "everyone", "batch": _batch(page)}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Reminder)) is None
