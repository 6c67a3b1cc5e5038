"""Server-side sessions (issue 12): sign-out ends the session on the server.

Decided: signing out ends this device's session only; a password change, an administrator's
password reset and a deactivation end every session of the user.
"""
import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD, AuthActions
from training.auth import accounts
from training.auth.sessions import token_hash
from training.extensions import db
from training.models import User, UserSession, utcnow

NEW_PASSWORD = "Kinmokusei-no-kaori-2026"


def _signed_in(app, login_id):
    """A new client (device) signed in as ``login_id``."""
    device = app.test_client()
    assert AuthActions(device).login(login_id).status_code == 302
    return device


def _copy(device, app):
    """Another client holding a copy of ``device``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", device.get_cookie("session").value)
    return thief


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _rows(app, user_id):
    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                  .order_by(UserSession.id)).all()


def test_a_cookie_copied_before_logout_gets_the_sign_in_page(app, create_user_factory):
    _uid, login_id = create_user_factory("trainee")
    device = _signed_in(app, login_id)
    thief = _copy(device, app)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert AuthActions(device).logout().status_code == 302
    for path in ("/", "/account/password"):
        assert _to_sign_in(thief.get(path)), path
    assert _to_sign_in(device.get("/"))


def test_logout_ends_this_device_only(app, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    phone, desk = _signed_in(app, login_id), _signed_in(app, login_id)
    AuthActions(phone).logout()
    assert _to_sign_in(phone.get("/"))
    assert desk.get("/").status_code == 200
    rows = _rows(app, user_id)
    assert [row.ended_at is not None for row in rows] == [True, False]


def test_password_change_ends_every_other_session_and_this_device_goes_on(app, create_user_factory):
    _uid, login_id = create_user_factory("trainee")
    desk, phone = _signed_in(app, login_id), _signed_in(app, login_id)
    copy_of_desk_before = _copy(desk, app)
    token = AuthActions(desk).csrf_token("/account/password")
    response = desk.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert desk.get("/").status_code == 200
    assert _to_sign_in(phone.get("/"))
    assert _to_sign_in(copy_of_desk_before.get("/"))  # the desk's old cookie ended with the rest


@pytest.mark.parametrize("ending", ["password_reset", "deactivation"])
def test_an_administrator_ends_every_session(app, create_user_factory, ending):
    user_id, login_id = create_user_factory("trainee")
    desk, phone = _signed_in(app, login_id), _signed_in(app, login_id)
    with app.test_request_context():
        user = db.session.get(User, user_id)
        if ending == "password_reset":
            accounts.set_password_by_admin(user, "Karitouroku-no-pasuwado-77")
        else:
            accounts.set_active(user, False)
        db.session.commit()
    assert _to_sign_in(desk.get("/")) and _to_sign_in(phone.get("/"))


def test_an_expired_session_row_gets_the_sign_in_page(app, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    device = _signed_in(app, login_id)
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id)
                           .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    assert _to_sign_in(device.get("/"))


def test_the_database_keeps_only_a_hash_of_the_cookie_secret(app, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    device = _signed_in(app, login_id)
    with device.session_transaction() as cookie:
        cookie_id = cookie["_user_id"]
    uid, _, secret = cookie_id.partition(":")
    assert uid == str(user_id) and len(secret) >= 40
    (row,) = _rows(app, user_id)
    assert row.token_hash == token_hash(secret) and secret not in row.token_hash
    assert row.ip_address == "127.0.0.1"
    assert row.expires_at - row.created_at == app.permanent_session_lifetime


@pytest.mark.parametrize("forged", ["{uid}:{generation}", "{uid}:", "{uid}", "{uid}:x:y", "²:abc", "9" * 40 + ":abc"])
def test_cookies_naming_no_live_session_are_refused(app, create_user_factory, forged):
    """Also the cookies of the code before server-side sessions ("<id>:<session token>")."""
    user_id, login_id = create_user_factory("trainee")
    device = _signed_in(app, login_id)
    with app.app_context():
        generation = db.session.get(User, user_id).session_token
    with device.session_transaction() as cookie:
        cookie["_user_id"] = forged.format(uid=user_id, generation=generation)
    assert _to_sign_in(device.get("/"))


def test_expired_rows_are_purged_at_the_next_sign_in(app, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    AuthActions(app.test_client()).login(login_id)
    with app.app_context():
        db.session.execute(update(UserSession).values(expires_at=utcnow() - dt.timedelta(minutes=1)))
        db.session.commit()
    _signed_in(app, login_id)
    assert len(_rows(app, user_id)) == 1


def test_the_session_check_is_one_query_joined_with_the_user(app, client, auth, create_user_factory):
    from sqlalchemy import event

    _uid, login_id = create_user_factory("trainee")
    auth.login(login_id)
    client.get("/help")  # warm-up (settings, content caches)
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get("/help").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    session_reads = [s for s in statements if "user_session" in s]
    assert len(session_reads) == 1
    assert "user_role" in session_reads[0]  # user, roles and the session check in one statement
