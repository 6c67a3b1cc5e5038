"""The `training` command: init-db, users create, demo, and start-up failures."""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect, select

from tests.conftest import AuthActions
from training import create_app
from training.demo import DEMO_ACCOUNTS
from training.extensions import db
from training.models import Cohort, User

TRAINING = str(Path(sys.executable).parent / "training")


def test_users_create(app, runner):
    result = runner.invoke(args=[
        "users", "create", "--login-id", "kyoin01", "--password", "a-good-password",
        "--name", "教員 一子", "--role", "trainee", "--role", "instructor",
        "--audience", "teachers", "--department", "区立第一中学校", "--employee-no", "0042"])
    assert result.exit_code == 0, result.output
    assert "kyoin01" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login_id == "kyoin01"))
        assert user.roles == {"trainee", "instructor"}
        assert (user.audience, user.department, user.employee_no) == ("teachers", "区立第一中学校", "0042")


def test_users_create_refuses_bad_input(app, runner):
    result = runner.invoke(args=["users", "create", "--login-id", "x", "--password", "short", "--name", "X"])
    assert result.exit_code != 0
    assert "10文字以上" in result.output
    result = runner.invoke(args=["users", "create", "--login-id", "x", "--password", "long-enough-1",
                                 "--name", "X", "--role", "wizard"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_demo_creates_every_role_and_audience(app, runner):
    result = runner.invoke(args=["demo", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    for login_id, *_ in DEMO_ACCOUNTS:
        assert login_id in result.output
    # Running it again updates, never duplicates.
    assert runner.invoke(args=["demo", "--password", "demo-password-1"]).exit_code == 0
    with app.app_context():
        users = {u.login_id: u for u in db.session.scalars(select(User))}
        assert len(users) == len(DEMO_ACCOUNTS) == 8
        assert users["demo-admin"].roles == {"admin"}
        assert users["demo-personnel"].roles == {"personnel"}
        assert "instructor" in users["demo-instructor"].roles
        audiences = {users[f"demo-{n}"].audience for n in ("resident", "teacher", "counter", "counselor", "student")}
        assert audiences == {"residents", "teachers", "counter_staff", "counselors", "high_school"}
        cohorts = db.session.scalars(select(Cohort)).all()
        assert len(cohorts) == 1 and {m.user_id for m in cohorts[0].members} >= {users["demo-counter"].id}
    for login_id, *_ in DEMO_ACCOUNTS:
        assert AuthActions(app.test_client()).login(login_id, "demo-password-1").status_code == 302, login_id


def test_demo_prints_generated_password(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1].split("パスワード:")[1].strip()
    assert len(password) >= 10
    assert AuthActions(app.test_client()).login("demo-counter", password).status_code == 302


def test_init_db_creates_a_fresh_database(tmp_path, app_config):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=url))
    result = fresh.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"user", "user_role", "cohort", "quiz_attempt", "certificate", "audit_entry",
            "alembic_version"} <= tables


def _run_training(*args, **env):
    environment = dict(os.environ, **env)
    return subprocess.run([TRAINING, *args], capture_output=True, text=True, env=environment, timeout=120)


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = _run_training("init-db", DATABASE_URL="postgresql://nobody:secret@127.0.0.1:9/none",
                           SECRET_KEY="x" * 32, INSTANCE_PATH=str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("エラー: データベースに接続できません: postgresql+psycopg://nobody:***@127.0.0.1:9/none")
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secret_is_one_clear_line(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": ""}
    result = _run_training("init-db", **env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("エラー: SECRET_KEY")
    assert "Traceback" not in result.stderr
