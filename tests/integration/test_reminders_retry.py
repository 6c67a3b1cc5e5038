"""Reminders never give a 500 and never reach anyone twice (issue 12).

A bad address stored before addresses were checked, one the SMTP server refuses and a
header-injection attempt are each recorded as failed while the rest are sent. Every form
carries a batch key; a reminder is stored under (batch, person) before its SMTP call, so a
resubmitted form, a double click or a retry after a timeout sends nobody a second mail."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from tests.integration.test_reminders import _class
from tests.support.learner import csrf
from tests.support.smtp import Inbox, app_mail_to
from training.extensions import db
from training.models import AuditEntry, Reminder
from training.teach import reminders as reminder_mail

BATCH = re.compile(r'name="batch" value="([^"]+)"')
INJECTION = "a@b.c\r\nBcc: x@example.jp"
REFUSED = "refuse@example.jp"


class RefusingInbox(Inbox):
    """An SMTP server that refuses one recipient, as a real one refuses an unknown mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A loopback SMTP server the app is configured to use; yields its inbox."""
    inbox = RefusingInbox()
    with app_mail_to(app, inbox):
        yield inbox


def _form(client, cohort_id) -> dict:
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    match = BATCH.search(page)
    assert match, "no batch key on the reminders form"
    return {"csrf_token": csrf(page), "group": "overdue", "batch": match.group(1)}


def _recipients(inbox) -> list[str]:
    return sorted(address for message in inbox.messages for address in message.rcpt_tos)


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return {r.email: r.status for r in db.session.scalars(select(Reminder))}


def test_bad_refused_and_injected_addresses_fail_alone(app, client, login_as, smtp):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", INJECTION, REFUSED, "not-an-address", "d@example.jp"])
    response = client.post(f"/teach/classes/{cohort_id}/reminders", data=_form(client, cohort_id))
    assert response.status_code == 302
    assert _recipients(smtp) == ["a@example.jp", "d@example.jp"]
    assert all(b"Bcc" not in m.content for m in smtp.messages)
    assert _statuses(app) == {"a@example.jp": "sent", "d@example.jp": "sent", INJECTION: "failed",
                              REFUSED: "failed", "not-an-address": "failed"}
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert "送信 2件・送信失敗 3件" in page
    assert "メールアドレスの形式が正しくありません" in page


def test_a_header_in_the_subject_or_a_name_cannot_be_injected(app, client, login_as, smtp):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp"])
    with app.app_context():
        from training.models import User

        db.session.scalar(select(User).where(User.email == "a@example.jp")).display_name = "名前\r\nBcc: x@example.jp"
        db.session.commit()
    form = _form(client, cohort_id) | {"subject": "お願い\r\nBcc: x@example.jp"}
    assert client.post(f"/teach/classes/{cohort_id}/reminders", data=form).status_code == 302
    assert _recipients(smtp) == ["a@example.jp"]
    headers = smtp.messages[0].content.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers


def test_a_resubmitted_form_sends_nobody_twice(app, client, login_as, smtp):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", None, "c@example.jp"])
    form = _form(client, cohort_id)
    client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    again = client.post(f"/teach/classes/{cohort_id}/reminders", data=form, follow_redirects=True)
    assert again.status_code == 200
    assert "すでに記録されていた3件のお願いは送っていません" in again.get_data(as_text=True)
    assert _recipients(smtp) == ["a@example.jp", "c@example.jp"]
    with app.app_context():
        assert len(db.session.scalars(select(Reminder)).all()) == 3
    # A new form is a new batch: a deliberate second reminder asks first (within 24 hours), then goes out.
    form = _form(client, cohort_id)
    asked = client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    assert asked.status_code == 200 and "24時間以内" in asked.get_data(as_text=True)
    assert _recipients(smtp) == ["a@example.jp", "c@example.jp"]
    client.post(f"/teach/classes/{cohort_id}/reminders", data=form | {"confirm": "all"})
    assert _recipients(smtp) == ["a@example.jp", "a@example.jp", "c@example.jp", "c@example.jp"]


def test_parallel_double_clicks_send_each_mail_once(app, client, login_as, smtp):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, [f"p{i}@example.jp" for i in range(6)])
    form = _form(client, cohort_id)
    cookie = client.get_cookie("session")
    statuses = []

    def post():
        other = app.test_client()
        other.set_cookie(cookie.key, cookie.value)
        statuses.append(other.post(f"/teach/classes/{cohort_id}/reminders", data=form).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses and all(s in (302, 409) for s in statuses), statuses
    assert _recipients(smtp) == sorted(f"p{i}@example.jp" for i in range(6))


def test_a_retry_after_a_timeout_sends_only_what_was_never_attempted(app, client, login_as, smtp, monkeypatch):
    """The first request dies during its second SMTP call (a worker timeout): the retry sends
    the third mail, and neither repeats the first nor risks repeating the second."""
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", "b@example.jp", "c@example.jp"])
    form = _form(client, cohort_id)
    real_send, calls = reminder_mail._send, []

    def dies_on_the_second(message):
        calls.append(message["To"])
        if len(calls) == 2:
            raise SystemExit("worker timeout")  # not an Exception: nothing in the app catches it
        real_send(message)

    monkeypatch.setattr(reminder_mail, "_send", dies_on_the_second)
    with pytest.raises(SystemExit):
        client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    monkeypatch.setattr(reminder_mail, "_send", real_send)
    with app.app_context():
        db.session.remove()
    states = _statuses(app)
    assert sorted(states.values()) == ["pending", "sending", "sent"]
    first = next(e for e, s in states.items() if s == "sent")
    unknown = next(e for e, s in states.items() if s == "sending")
    retry = app.test_client()
    retry.set_cookie("session", client.get_cookie("session").value)
    assert retry.post(f"/teach/classes/{cohort_id}/reminders", data=form).status_code == 302
    sent = _recipients(smtp)
    assert sent.count(first) == 1 and unknown not in sent and len(sent) == 2
    assert sorted(_statuses(app).values()) == ["sending", "sent", "sent"]
    page = retry.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    assert "送信中（結果不明）" in page


def test_the_outbox_is_recorded_once_per_batch_too(app, client, login_as):
    app.config["MAIL_SERVER"] = ""
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp", INJECTION])
    form = _form(client, cohort_id)
    client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    client.post(f"/teach/classes/{cohort_id}/reminders", data=form)
    assert _statuses(app) == {"a@example.jp": "queued", INJECTION: "failed"}
    csv_text = client.get(f"/teach/classes/{cohort_id}/reminders.csv").data.decode("utf-8-sig")
    assert "a@example.jp" in csv_text and "Bcc" not in csv_text
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "class.reminders")
                                   .order_by(AuditEntry.id)).all()
        assert [e.detail.get("skipped") for e in entries] == [0, 2]


@pytest.mark.parametrize("batch", [None, "", "x" * 200, "../../etc", "a b"])
def test_a_form_without_a_good_batch_key_is_refused(app, client, login_as, batch):
    _iid, instructor = login_as("instructor", audience=None)
    cohort_id = _class(app, instructor, ["a@example.jp"])
    form = _form(client, cohort_id)
    if batch is None:
        del form["batch"]
    else:
        form["batch"] = batch
    assert client.post(f"/teach/classes/{cohort_id}/reminders", data=form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Reminder)) is None
