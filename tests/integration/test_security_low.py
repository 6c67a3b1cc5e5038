"""Issue 12, low findings through the app: e-mail addresses and self-registered login ids
wherever they are stored, full-width formula characters in the exports, no-store on every
response with personal data, the CP932 label, the verification mask, and sign-in failures
that cost the same for every kind of account."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.auth import accounts
from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import Certificate, CourseCompletion, User
from training.teach.classes import create_class
from training.teach.roster import FIRST_LOGIN_HASH_METHOD

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
INJECTION = "a@b.c\r\nBcc: x@y.z"


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# --- e-mail addresses and login ids at join-code registration ------------------------------

@pytest.fixture
def join(app, create_user_factory):
    """POST the registration step of a residents' class; returns a callable taking the fields."""
    _oid, owner = create_user_factory("instructor", audience=None)
    with app.app_context():
        cohort = create_class(name="区民講座", audience="residents", fiscal_year=2026, owner=db.session.scalar(
            select(User).where(User.login_id == owner)), course_id=None, join_enabled=True)
        db.session.commit()
        code = cohort.join_code

    def register(**fields):
        visitor = app.test_client()
        page = visitor.get("/join").get_data(as_text=True)
        data = {"csrf_token": csrf(page), "code": code, "step": "register", "display_name": "練馬 花子",
                "login_id": "hanako.river", "password": PASSWORD, "confirm": PASSWORD, "email": ""}
        data.update(fields)
        return visitor.post("/join", data=data)

    return register


@pytest.mark.parametrize("email", [INJECTION, "a@example.jp\nBcc: x@example.jp", "a@example.jp, b@example.jp",
                                   "not-an-email"])
def test_join_refuses_a_malformed_email_and_creates_nobody(app, join, email):
    before = _users(app)
    response = join(email=email)
    assert response.status_code == 200
    assert "の形式が正しくありません" in response.get_data(as_text=True)
    assert _users(app) == before


def test_join_stores_the_address_normalised(app, join):
    assert join(email="Hanako@Example.JP").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login_id == "hanako.river")) == "Hanako@example.jp"


@pytest.mark.parametrize(("login_id", "message"), [
    ("000101", "数字で始まるIDは職員番号のために"), ("4512", "数字で始まるIDは職員番号のために"),
    ("hanako@example.jp", "英字で始め"), ("はなこ", "英字で始め"), ("hanako river", "英字で始め"),
    ("-hanako", "英字で始め"), ("hk", "英字で始め"),
])
def test_join_refuses_login_ids_outside_the_rule(app, join, login_id, message):
    before = _users(app)
    response = join(login_id=login_id)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _users(app) == before


def test_join_normalises_full_width_login_ids(app, join):
    assert join(login_id="ｈａｎａｋｏ．ｒｉｖｅｒ").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.login_id).where(User.display_name == "練馬 花子")) == "hanako.river"


@pytest.mark.parametrize("taken", ["HANAKO.river", "ＨＡＮＡＫＯ.RIVER", "Hanako.River"])
def test_join_login_ids_are_unique_whatever_the_case_or_width(app, join, taken):
    assert join().status_code == 302
    before = _users(app)
    response = join(login_id=taken)
    assert "既に使われています" in response.get_data(as_text=True)
    assert _users(app) == before


def test_join_refuses_a_common_password(app, join):
    response = join(password="password1234", confirm="password1234")
    assert "よく使われるパスワード" in response.get_data(as_text=True)
    response = join(password="nerima-hanako-7", confirm="nerima-hanako-7")
    assert "区やこの研修に関係する言葉" in response.get_data(as_text=True)


# --- e-mail addresses: admin forms, the CLI, the account functions -------------------------

def test_admin_create_and_edit_refuse_a_malformed_email(app, client, login_as, create_user_factory):
    login_as("admin", audience=None)
    page = client.get("/admin/users/new").get_data(as_text=True)
    before = _users(app)
    html = client.post("/admin/users/new", data={
        "csrf_token": csrf(page), "login_id": "kuyakusho.jiro", "display_name": "区役所 次郎", "roles": ["trainee"],
        "audience": "", "password": "temporary-pass-1", "email": INJECTION}).get_data(as_text=True)
    assert "の形式が正しくありません" in html and _users(app) == before
    user_id, _ = create_user_factory("trainee", email="ok@example.jp")
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    html = client.post(f"/admin/users/{user_id}", data={
        "csrf_token": csrf(page), "display_name": "利用者", "roles": ["trainee"], "audience": "",
        "email": INJECTION}).get_data(as_text=True)
    assert "の形式が正しくありません" in html
    with app.app_context():
        assert db.session.get(User, user_id).email == "ok@example.jp"


def test_profile_update_refuses_a_malformed_email(app, create_user_factory):
    """The domain function itself refuses, whatever form or command calls it."""
    from training.admin.users import update_profile

    user_id, _ = create_user_factory("trainee", email="ok@example.jp")
    with app.app_context():
        user = db.session.get(User, user_id)
        with pytest.raises(accounts.AccountError, match="の形式が正しくありません"):
            update_profile(user, display_name="x", name_kana=None, email=INJECTION, audience=None,
                           department=None, employee_no=None)
        assert user.email == "ok@example.jp"


def test_cli_users_create_refuses_a_malformed_email(app, runner):
    result = runner.invoke(args=["users", "create", "--login-id", "cli.user", "--password", "temporary-pass-1",
                                 "--name", "コマンド 利用者", "--email", INJECTION])
    assert result.exit_code != 0 and "の形式が正しくありません" in result.output
    assert _users(app) == 0


def test_create_user_stores_the_normalised_address(app):
    with app.app_context():
        user = accounts.create_user(accounts.NewUser(login_id="Ｎｏｒｍａｌ.one", display_name="x",
                                                     password=PASSWORD, email=" One@Example.JP "))
        assert (user.login_id, user.email) == ("Normal.one", "One@example.jp")
        with pytest.raises(accounts.AccountError, match="既に使われています"):
            accounts.create_user(accounts.NewUser(login_id="normal.ONE", display_name="y", password=PASSWORD))


def test_cli_demo_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["demo", "--password", "password1234"])
    assert result.exit_code != 0 and "よく使われるパスワード" in result.output


@pytest.mark.parametrize(("where", "password"), [("change", "password1234"), ("reset", "gatekeeper-2026")])
def test_every_password_setter_uses_the_policy(app, client, login_as, create_user_factory, where, password):
    if where == "change":
        login_as("trainee")
        page = client.get("/account/password").get_data(as_text=True)
        html = client.post("/account/password", data={"csrf_token": csrf(page), "current": PASSWORD, "new": password,
                                                      "confirm": password}).get_data(as_text=True)
        assert "よく使われるパスワード" in html
    else:
        login_as("admin", audience=None)
        user_id, _ = create_user_factory("trainee")
        page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
        html = client.post(f"/admin/users/{user_id}/password", data={"csrf_token": csrf(page), "password": password},
                           follow_redirects=True).get_data(as_text=True)
        assert "区やこの研修に関係する言葉" in html


# --- full-width formula characters in the exports -------------------------------------------

FULL_WIDTH = ["＝HYPERLINK(\"http://example.jp\")", "＋81-3", "－2", "＠SUM(A1)"]


@pytest.fixture
def full_width_people(app, create_user_factory):
    """Completions by people whose name, kana, department or number start with ＝ ＋ － ＠."""
    for i, text in enumerate(FULL_WIDTH):
        uid, _ = create_user_factory("trainee", audience="counter_staff", display_name=text, name_kana=text,
                                     department=text, employee_no=f"0009{i}")
        with app.test_request_context():
            simulate_learning(db.session.get(User, uid), COURSE, CONTENT)
            completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid))
            completion.completed_at = dt.datetime(2026, 5, 1 + i, 10, tzinfo=JST)
            db.session.commit()


def _export(client, fmt):
    page = client.get("/records/export").get_data(as_text=True)
    return client.post("/records/export", data={"csrf_token": csrf(page), "fiscal_year": "2026", "format": fmt,
                                                "replace": "1"})


@pytest.mark.parametrize("fmt", ["csv", "csv_cp932"])
def test_full_width_formula_starts_are_neutralised_in_csv(client, login_as, full_width_people, fmt):
    login_as("personnel", audience=None)
    response = _export(client, fmt)
    text = response.data.decode("utf-8-sig" if fmt == "csv" else "cp932")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert sorted(r[1] for r in rows) == sorted("'" + t for t in FULL_WIDTH)
    assert all(r[2].startswith("'") and r[3].startswith("'") for r in rows)


def test_full_width_formula_starts_are_neutralised_in_xlsx(client, login_as, full_width_people):
    login_as("personnel", audience=None)
    sheet = openpyxl.load_workbook(io.BytesIO(_export(client, "xlsx").data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted("'" + t for t in FULL_WIDTH)


def test_full_width_formula_starts_are_neutralised_in_the_audit_csv(app, client, login_as):
    from training import audit

    login_as("admin", audience=None)
    with app.test_request_context():
        audit.record("＝cmd", target_type="＋user")
        db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").data.decode("utf-8-sig"))))
    assert any(r[1] == "'＝cmd" and r[3].startswith("'＋user") for r in rows)


# --- Cache-Control: no-store, and the CP932 label ------------------------------------------

def _token(client) -> str:
    page = client.get("/records/tokens").get_data(as_text=True)
    html = client.post("/records/tokens", data={"csrf_token": csrf(page), "name": "人事給与"}).get_data(as_text=True)
    return re.search(r'<p class="mono token">([^<]+)</p>', html).group(1)


def test_every_response_with_personal_data_is_no_store(app, client, login_as, create_user_factory):
    trainee_id, trainee_login = create_user_factory("trainee", audience="counter_staff", display_name="李 明")
    with app.test_request_context():
        simulate_learning(db.session.get(User, trainee_id), COURSE, CONTENT)
        db.session.commit()
        cert = db.session.scalar(select(Certificate).where(Certificate.user_id == trainee_id))
        cert_id, code = cert.id, cert.verification_code
    _uid, every_role = login_as("trainee", "instructor", "personnel", "admin", audience=None)
    cohort_id = make_class(app, every_role, name="確認")
    api = app.test_client()
    token = _token(client)
    requests = {
        "reminders.csv": lambda: client.get(f"/teach/classes/{cohort_id}/reminders.csv"),
        "audit.csv": lambda: client.get("/admin/audit.csv"),
        "api": lambda: api.get("/api/v1/completions?fiscal_year=2026", headers={"Authorization": f"Bearer {token}"}),
        "api-401": lambda: api.get("/api/v1/completions"),
        "export": lambda: _export(client, "csv"),
        "certificate": lambda: client.get(f"/certificates/{cert_id}.pdf"),
        "verify": lambda: client.get(f"/verify/{code}"),
        "page": lambda: client.get("/"),
    }
    for name, request in requests.items():
        response = request()
        response.get_data()  # a streamed body is read to its end before the next request
        assert response.status_code in (200, 401), name
        assert "no-store" in response.headers.get("Cache-Control", ""), name
    with client.get("/static/site.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_the_cp932_export_is_labelled_shift_jis(client, login_as, full_width_people):
    login_as("personnel", audience=None)
    cp932 = _export(client, "csv_cp932")
    cp932.get_data()
    assert cp932.headers["Content-Type"].lower() in ("text/csv; charset=shift_jis", "text/csv; charset=cp932")
    utf8 = _export(client, "csv")
    assert utf8.get_data().startswith(b"\xef\xbb\xbf")
    assert utf8.headers["Content-Type"].lower() == "text/csv; charset=utf-8"


# --- the verification page ------------------------------------------------------------------

def test_verification_masks_one_character_name_parts(app, client, create_user_factory):
    user_id, _ = create_user_factory("trainee", audience="counter_staff", display_name="李 明")
    with app.test_request_context():
        simulate_learning(db.session.get(User, user_id), COURSE, CONTENT)
        db.session.commit()
        code = db.session.scalar(select(Certificate.verification_code).where(Certificate.user_id == user_id))
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "有効" in html and "＊ ＊" in html
    assert "李" not in html and "明" not in html.split("<main", 1)[1].split("</dl>", 1)[0]


# --- sign-in failures cost the same for every kind of account -------------------------------

FULL = "pbkdf2:sha256:3000"   # stands for the production method; cheap enough for a test


@pytest.fixture
def verified(monkeypatch):
    """The method of every hash that authenticate verifies, in order."""
    seen: list[str] = []
    real = accounts.verify_password

    def spy(password_hash, password):
        seen.append(password_hash.split("$", 1)[0])
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", spy)
    return seen


@pytest.mark.parametrize(("kind", "method", "active"), [
    ("normal", FULL, True), ("roster first login", FIRST_LOGIN_HASH_METHOD, True),
    ("inactive roster account", FIRST_LOGIN_HASH_METHOD, False), ("older setting", "pbkdf2:sha256:2000", True),
    ("unknown login id", None, True),
])
def test_every_failed_sign_in_verifies_a_full_strength_hash(app, verified, kind, method, active):
    """The time of a failure is that of a configured-strength verification, for every kind
    of account (timed tests are not allowed: bench/login_timing.py measures the ratio)."""
    app.config["PASSWORD_HASH_METHOD"] = FULL
    with app.test_request_context():
        if method:
            user = User(login_id="who", display_name="x", active=active,
                        password_hash=generate_password_hash("x-right-password", method=method))
            user.set_roles({"trainee"})
            db.session.add(user)
            db.session.commit()
        assert accounts.authenticate("who", "a-wrong-password") is None
        assert FULL in verified, (kind, verified)


def test_a_light_hash_is_upgraded_at_the_first_sign_in(app):
    app.config["PASSWORD_HASH_METHOD"] = FULL
    with app.test_request_context():
        user = User(login_id="who", display_name="x",
                    password_hash=generate_password_hash("x-right-password", method=FIRST_LOGIN_HASH_METHOD))
        user.set_roles({"trainee"})
        db.session.add(user)
        db.session.commit()
        assert accounts.authenticate("who", "x-right-password") is not None
        assert user.password_hash.startswith(FULL + "$")
