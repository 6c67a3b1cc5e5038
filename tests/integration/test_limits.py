"""Attempt limits counted in the database (issue 12): what counts, what is given back, when
to retry, and the old rows going away. The parallel, multi-worker attack itself is in
test_limits_gunicorn.py."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, AuthActions
from tests.support.learner import csrf
from training.audit import AUDIT_LABELS
from training.auth import limits
from training.extensions import db
from training.models import AuditEntry, Cohort, LimitEvent, utcnow
from training.teach.classes import new_join_code

NEW_PASSWORD = "Kinmokusei-no-kaori-2026"


def _change(client, current, new=NEW_PASSWORD):
    token = AuthActions(client).csrf_token("/account/password")
    return client.post("/account/password", data={"current": current, "new": new, "confirm": new,
                                                   "csrf_token": token})


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_wrong_current_passwords_are_audited_and_limited(app, client, login_as):
    user_id, _login = login_as("trainee")
    for _ in range(5):
        page = _change(client, "not-the-password")
        assert page.status_code == 200
        assert "現在のパスワードが正しくありません" in page.get_data(as_text=True)
    blocked = _change(client, "not-the-password")
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "パスワードの変更を一時的に制限しています" in html and "以降に" in html
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert _change(client, PASSWORD).status_code == 429  # even the right one waits
    assert _count(app, AuditEntry, AuditEntry.action == "user.password_change_failure",
                  AuditEntry.target_id == str(user_id), AuditEntry.actor_id == user_id) == 5
    assert AUDIT_LABELS["user.password_change_failure"] == "パスワード変更の失敗"
    assert client.get("/").status_code == 200  # the session itself goes on


def test_the_password_change_limit_is_per_user(app, create_user_factory):
    _uid, guessed = create_user_factory("trainee")
    _uid, other = create_user_factory("trainee")
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(guessed)
    AuthActions(second).login(other)
    for _ in range(5):
        _change(first, "not-the-password")
    assert _change(first, "not-the-password").status_code == 429
    # Another person (same address) is not held back by this one's mistakes.
    assert _change(second, PASSWORD).status_code == 302


def test_a_refused_new_password_is_not_counted(app, client, login_as):
    login_as("trainee")
    for _ in range(4):
        _change(client, "not-the-password")
    for _ in range(3):
        refused = _change(client, PASSWORD, new="short")  # the current one was right: no guess
        assert refused.status_code == 200
    assert _change(client, PASSWORD).status_code == 302


def test_a_full_width_spelling_shares_the_account_count(auth, create_user_factory):
    _uid, login_id = create_user_factory("trainee", login_id="tanaka")
    for attempt in ("tanaka", "TANAKA", "ｔａｎａｋａ", " Tanaka ", "ＴＡＮＡＫＡ"):
        assert auth.login(attempt, "not-the-password").status_code == 200
    assert auth.login(login_id).status_code == 429


def test_right_join_codes_are_not_counted(app):
    with app.app_context():
        cohort = Cohort(name="区民講座 12月", audience="residents", fiscal_year=2026, join_code=new_join_code(),
                        join_enabled=True)
        db.session.add(cohort)
        db.session.commit()
        code = cohort.join_code
    visitor = app.test_client()
    token = csrf(visitor.get("/join").get_data(as_text=True))
    # A class of people behind one school or office address all type the right code.
    statuses = [visitor.post("/join", data={"csrf_token": token, "code": code}).status_code for _ in range(15)]
    assert statuses == [200] * 15
    wrong = [visitor.post("/join", data={"csrf_token": token, "code": "ZZZZ-ZZZZ"}).status_code for _ in range(11)]
    assert wrong == [200] * 10 + [429]
    assert _count(app, LimitEvent, LimitEvent.scope == "join") == 10


def test_successful_sign_ins_give_their_attempt_back(app, auth, create_user_factory):
    _uid, login_id = create_user_factory("trainee")
    assert auth.login(login_id, "not-the-password").status_code == 200
    assert auth.login(login_id).status_code == 302
    auth.logout()
    assert _count(app, LimitEvent, LimitEvent.scope == "login-account") == 1
    assert _count(app, LimitEvent, LimitEvent.scope == "login-address") == 1


def test_retry_at_is_when_the_window_frees_a_place(app):
    now = utcnow()
    with app.test_request_context(method="POST"):
        db.session.add_all([LimitEvent(scope="t", subject="s", at=now - dt.timedelta(seconds=s),
                                       expires_at=now + dt.timedelta(minutes=1)) for s in (50, 40, 30)])
        db.session.commit()
        with pytest.raises(limits.TooManyAttempts) as refused:
            limits.reserve(limits.Check("t", "s", "3 per minute"))
        # The oldest of the three (50 s ago) leaves the one-minute window in 10 s.
        assert dt.timedelta(seconds=9) < refused.value.retry_at - now <= dt.timedelta(seconds=11)
        # With a second, longer part of the limit, the later of the two times counts.
        with pytest.raises(limits.TooManyAttempts) as refused:
            limits.reserve(limits.Check("t", "s", "5 per hour; 3 per minute"))
        assert refused.value.retry_at - now <= dt.timedelta(seconds=11)
        reservation = limits.reserve(limits.Check("t", "other", "3 per minute"))
        assert len(reservation.event_ids) == 1


def test_old_events_are_purged(app):
    past = utcnow() - dt.timedelta(hours=1)
    with app.test_request_context(method="POST"):
        db.session.add_all([LimitEvent(scope="login-account", subject=f"old-{n}", at=past, expires_at=past)
                            for n in range(20)])
        db.session.commit()
        limits.reserve(limits.Check("login-account", "someone", "5 per 15 minutes"))
    assert _count(app, LimitEvent) == 1


def test_limits_keep_flask_limiters_syntax():
    assert limits.windows("5 per 15 minutes") == ((5, dt.timedelta(minutes=15)),)
    assert limits.windows("30/minute; 100 per day") == ((30, dt.timedelta(minutes=1)), (100, dt.timedelta(days=1)))
    with pytest.raises(ValueError):
        limits.windows("five a minute")
