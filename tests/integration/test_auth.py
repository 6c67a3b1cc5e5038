"""Sign-in, sign-out, rate limits, CSRF, password change and session endings."""
import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from training.extensions import db
from training.models import AuditEntry, User


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_login_page_is_japanese_and_has_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "ログインID" in html and "パスワード" in html
    assert 'name="csrf_token"' in html


def test_login_success_redirects_home_and_is_audited(app, client, auth, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    response = auth.login(login_id)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "ようこそ" in home
    entries = _audit(app, "login.success")
    assert [e.actor_id for e in entries] == [user_id]
    assert entries[0].ip_address == "127.0.0.1"


def test_login_id_is_case_insensitive(auth, create_user_factory):
    _user_id, login_id = create_user_factory("trainee", login_id="Tanaka.Taro")
    assert auth.login("tanaka.taro").status_code == 302


@pytest.mark.parametrize("case", ["wrong_password", "unknown_login_id", "inactive"])
def test_failed_login_is_generic_and_audited(app, auth, create_user_factory, case):
    user_id, login_id = create_user_factory("trainee")
    if case == "inactive":
        with app.app_context():
            db.session.get(User, user_id).active = False
            db.session.commit()
        response = auth.login(login_id)
    elif case == "unknown_login_id":
        response = auth.login("nobody-here")
    else:
        response = auth.login(login_id, "not-the-password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "ログインIDまたはパスワードが正しくありません。" in html
    entries = _audit(app, "login.failure")
    assert len(entries) == 1
    assert entries[0].detail["reason"] == case
    assert entries[0].actor_id is None


def test_too_many_failures_per_account_are_limited(app, auth, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    for _ in range(5):
        assert auth.login(login_id, "wrong-password").status_code == 200
    blocked = auth.login(login_id, "wrong-password")
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "試行回数が上限に達しました" in html
    assert "以降に" in html  # when to retry
    assert "Retry-After" in blocked.headers
    # Even the right password waits until the window resets.
    assert auth.login(login_id).status_code == 429
    # Another account from the same address is not blocked by this account's limit.
    _other_id, other = create_user_factory("trainee")
    assert auth.login(other).status_code == 302


def test_successful_logins_do_not_count_toward_the_limit(client, auth, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    for _ in range(7):
        assert auth.login(login_id).status_code == 302
        auth.logout()


def test_limit_per_address(app, auth, create_user_factory):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"  # read per request
    ids = [create_user_factory("trainee")[1] for _ in range(4)]
    for login_id in ids[:3]:
        assert auth.login(login_id, "wrong-password").status_code == 200
    assert auth.login(ids[3], "wrong-password").status_code == 429


def test_post_without_csrf_token_is_rejected(client, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    response = client.post("/login", data={"login_id": login_id, "password": PASSWORD})
    assert response.status_code == 400
    assert "不正な送信" in response.get_data(as_text=True)


def test_logout_requires_post_with_csrf(client, auth, login_as):
    login_as("trainee")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_is_refused(auth, client, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    token = auth.csrf_token()
    response = client.post("/login?next=https://evil.example/", data={
        "login_id": login_id, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_next_path_is_followed(auth, client, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    token = auth.csrf_token()
    response = client.post("/login?next=/help", data={
        "login_id": login_id, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/help"


def test_password_change(app, client, auth, login_as):
    user_id, login_id = login_as("trainee")
    token = auth.csrf_token("/account/password")
    bad = client.post("/account/password", data={"current": "wrong", "new": "new-password-123",
                                                 "confirm": "new-password-123", "csrf_token": token})
    assert "現在のパスワードが正しくありません" in bad.get_data(as_text=True)
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short",
                                                   "confirm": "short", "csrf_token": token})
    assert "10文字以上" in short.get_data(as_text=True)
    ok = client.post("/account/password", data={"current": PASSWORD, "new": "new-password-123",
                                                "confirm": "new-password-123", "csrf_token": token})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    auth.logout()
    assert auth.login(login_id).status_code == 200
    assert auth.login(login_id, "new-password-123").status_code == 302
    assert len(_audit(app, "user.password_change")) == 1


def test_password_change_ends_other_sessions(app, create_user_factory):
    from tests.conftest import AuthActions

    _user_id, login_id = create_user_factory("trainee")
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(login_id)
    AuthActions(second).login(login_id)
    token = AuthActions(first).csrf_token("/account/password")
    first.post("/account/password", data={"current": PASSWORD, "new": "new-password-123",
                                          "confirm": "new-password-123", "csrf_token": token})
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_temporary_password_must_be_changed_first(app, client, auth, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    with app.app_context():
        db.session.get(User, user_id).must_change_password = True
        db.session.commit()
    response = auth.login(login_id)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"
    assert client.get("/help").status_code == 200  # help is never blocked


def test_password_hash_is_upgraded_on_login(app, auth, create_user_factory):
    user_id, login_id = create_user_factory("trainee")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"
    auth.login(login_id)
    with app.app_context():
        assert db.session.get(User, user_id).password_hash.startswith("pbkdf2:sha256:2000$")


def test_session_cookie_flags(client, auth, create_user_factory):
    _user_id, login_id = create_user_factory("trainee")
    response = auth.login(login_id)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
