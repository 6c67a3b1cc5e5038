"""Issue 12, low: the admin user forms refuse employee numbers the roster would refuse."""
import pytest
from sqlalchemy import func, select

from training.extensions import db
from training.models import User


def _post(client, auth, path, data):
    return client.post(path, data=dict(data, csrf_token=auth.csrf_token(path)))


@pytest.mark.parametrize("number", ["-000301", "+000301", "000301!", "０００３０１", "0003 01", "a" * 33])
def test_admin_create_refuses_a_malformed_employee_number(app, client, auth, login_as, number):
    login_as("admin")
    response = _post(client, auth, "/admin/users/new", {
        "login_id": "kuyakusho.jiro", "display_name": "区役所 次郎", "roles": ["trainee"], "audience": "",
        "employee_no": number, "password": "temporary-pass-1"})
    assert response.status_code == 200
    assert "半角英数字" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.login_id == "kuyakusho.jiro")) == 0


def test_admin_edit_refuses_a_malformed_employee_number(app, client, auth, login_as, create_user_factory):
    login_as("admin")
    user_id, _ = create_user_factory("trainee", employee_no="000301")
    response = _post(client, auth, f"/admin/users/{user_id}", {
        "display_name": "利用者", "roles": ["trainee"], "audience": "", "employee_no": "-000301"})
    assert "半角英数字" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).employee_no == "000301"


def test_cli_create_refuses_a_malformed_employee_number(runner):
    result = runner.invoke(args=["users", "create", "--login-id", "someone", "--password", "temporary-pass-1",
                                 "--name", "利用者", "--employee-no", "-000301"])
    assert result.exit_code != 0
    assert "半角英数字" in result.output
