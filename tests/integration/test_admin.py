"""Administrator pages: create users, roles, audience, department, deactivation."""
from sqlalchemy import select

from tests.conftest import PASSWORD, AuthActions
from training.extensions import db
from training.models import AuditEntry, User


def _post(client, auth, path, data, form_path=None):
    data = dict(data, csrf_token=auth.csrf_token(form_path or path))
    return client.post(path, data=data)


def _user(app, login_id) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login_id == login_id))
        user.roles  # load while the session is open
        return user


def test_admin_creates_a_user(app, client, auth, login_as):
    login_as("admin")
    response = _post(client, auth, "/admin/users/new", {
        "login_id": "kuyakusho.taro", "display_name": "区役所 太郎", "name_kana": "くやくしょ たろう",
        "email": "taro@example.jp", "roles": ["trainee", "instructor"], "audience": "counter_staff",
        "department": "税務課", "employee_no": "000123", "password": "temporary-pass-1",
    })
    assert response.status_code == 302
    user = _user(app, "kuyakusho.taro")
    assert user.roles == {"trainee", "instructor"}
    assert user.employee_no == "000123"  # leading zeros kept
    assert user.department == "税務課" and user.audience == "counter_staff"
    assert user.must_change_password is True
    # The new user signs in and must set their own password first.
    other = app.test_client()
    assert AuthActions(other).login("kuyakusho.taro", "temporary-pass-1").headers["Location"] == "/account/password"


def test_create_user_shows_japanese_errors_and_changes_nothing(app, client, auth, login_as):
    login_as("admin", login_id="the-admin")
    response = _post(client, auth, "/admin/users/new", {
        "login_id": "the-admin", "display_name": "", "roles": [], "audience": "martians",
        "password": "short", "email": "not-an-email",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "氏名を入力してください。" in html
    assert "役割を1つ以上選んでください。" in html
    assert "メールアドレス「not-an-email」の形式が正しくありません。" in html
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_duplicate_login_id_is_refused(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    create_user_factory("trainee", login_id="taken")
    response = _post(client, auth, "/admin/users/new", {
        "login_id": "TAKEN", "display_name": "重複", "roles": ["trainee"], "audience": "",
        "password": "temporary-pass-1"})
    assert "既に使われています" in response.get_data(as_text=True)


def test_role_change_is_audited(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    user_id, login_id = create_user_factory("trainee")
    response = _post(client, auth, f"/admin/users/{user_id}", {
        "display_name": "新しい名前", "roles": ["trainee", "personnel"], "audience": "counselors",
        "department": "経済課", "employee_no": "007"})
    assert response.status_code == 302
    user = _user(app, login_id)
    assert user.roles == {"trainee", "personnel"}
    assert (user.display_name, user.audience, user.department, user.employee_no) == (
        "新しい名前", "counselors", "経済課", "007")
    with app.app_context():
        change = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.roles_change"))
        assert change.detail == {"before": ["trainee"], "after": ["personnel", "trainee"]}
        assert change.target_id == str(user_id)


def test_admin_cannot_remove_own_admin_role(app, client, auth, login_as):
    admin_id, login_id = login_as("admin")
    response = _post(client, auth, f"/admin/users/{admin_id}", {"display_name": "管理者", "roles": ["trainee"]})
    assert "自分自身の管理者権限は外せません" in response.get_data(as_text=True)
    assert _user(app, login_id).roles == {"admin"}


def test_deactivation_ends_open_sessions(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    user_id, login_id = create_user_factory("trainee")
    their_client = app.test_client()
    assert AuthActions(their_client).login(login_id).status_code == 302
    assert their_client.get("/").status_code == 200
    response = _post(client, auth, f"/admin/users/{user_id}/active", {"active": "0"},
                     form_path=f"/admin/users/{user_id}")
    assert response.status_code == 302
    # Their open session has ended and they cannot sign in again.
    assert their_client.get("/").status_code == 302
    assert AuthActions(their_client).login(login_id).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).target_id == str(user_id)
    # Reactivated, they can sign in again.
    _post(client, auth, f"/admin/users/{user_id}/active", {"active": "1"}, form_path=f"/admin/users/{user_id}")
    assert AuthActions(app.test_client()).login(login_id).status_code == 302


def test_admin_sets_temporary_password(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    user_id, login_id = create_user_factory("trainee")
    _post(client, auth, f"/admin/users/{user_id}/password", {"password": "temporary-pass-9"},
          form_path=f"/admin/users/{user_id}")
    other = AuthActions(app.test_client())
    assert other.login(login_id, PASSWORD).status_code == 200
    assert other.login(login_id, "temporary-pass-9").headers["Location"] == "/account/password"


def test_user_search(client, login_as, create_user_factory):
    login_as("admin")
    create_user_factory("trainee", login_id="suzuki", display_name="鈴木 花子", department="収納課")
    create_user_factory("trainee", login_id="sato", display_name="佐藤 次郎", department="税務課")
    html = client.get("/admin/users?q=収納").get_data(as_text=True)
    assert "鈴木 花子" in html and "佐藤 次郎" not in html


def test_audit_log_page_lists_logins(client, login_as):
    login_as("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "ログイン成功" in html


def test_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


def test_audit_log_exports_to_csv_and_is_itself_audited(app, client, login_as):
    import csv
    import io

    login_as("admin")
    response = client.get("/admin/audit.csv?action=login")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["日時", "操作", "実行者", "対象", "接続元", "詳細"]
    assert any(r[1] == "login.success" for r in rows[1:])
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.export")).detail["rows"] >= 1
