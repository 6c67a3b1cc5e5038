"""Security checks across the app (issue 8), beside the role matrix in test_access_matrix.py:
every form refuses a POST without its CSRF token and changes nothing; an instructor cannot
reach another instructor's class, upload or downloads by changing ids; formula-like text is
neutralised in the exports not covered elsewhere (CP932 CSV, the CLI, the audit log CSV).

Covered in other files: login limits (test_auth), a deactivated user's session ending
(test_admin), security headers (test_pages), another trainee's attempt (test_learn_rules) and
certificate (test_certificates), neutralisation in the records CSV/XLSX (test_records_export),
the progress CSV (test_matrix) and the reminders CSV (test_reminders).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.integration.test_access_matrix import MATRIX, _url
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.content import load_checked
from training.demo import simulate_learning
from training.extensions import db
from training.models import Assignment, AuditEntry, Base, CourseCompletion, RosterUpload, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])
POST_RULES = sorted(rule for (method, rule), who in MATRIX.items() if method == "POST" and who != "bearer-token")


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


@pytest.mark.parametrize("rule", POST_RULES)
def test_a_form_without_its_csrf_token_is_rejected_and_changes_nothing(app, create_user_factory, rule):
    """Signed in with every role, so the token is the only thing missing."""
    user_id, login_id = create_user_factory("trainee", "instructor", "personnel", "admin")
    client = app.test_client()
    assert AuthActions(client).login(login_id).status_code == 302
    before = _row_counts(app)
    response = client.post(_url(rule, user_id), data={"name": "x", "display_name": "x", "code": "ABCD-EFGH"})
    assert response.status_code == 400, rule
    assert "フォームの有効期限が切れたか、不正な送信です" in response.get_data(as_text=True)
    assert _row_counts(app) == before, rule


@pytest.fixture
def two_classes(app, create_user_factory):
    """Instructor A's class (with a member, an assignment and a roster upload) and instructor B's."""
    member_id, _ = create_user_factory("trainee", audience="counter_staff")
    _a_id, a_login = create_user_factory("instructor", audience=None)
    _b_id, b_login = create_user_factory("instructor", audience=None)
    class_a = make_class(app, a_login, name="Aのクラス", member_ids=[member_id])
    class_b = make_class(app, b_login, name="Bのクラス")
    with app.app_context():
        assignment = Assignment(cohort_id=class_a, course_id="counter-staff")
        upload = RosterUpload(cohort_id=class_a, user_id=_a_id, filename="名簿.csv", data=b"login_id\r\n")
        db.session.add_all([assignment, upload])
        db.session.commit()
        ids = {"class_a": class_a, "class_b": class_b, "assignment": assignment.id, "upload": upload.id,
               "member": member_id}
    return ids, a_login, b_login


def test_an_instructor_cannot_reach_another_class_by_changing_ids(app, two_classes):
    ids, _a_login, b_login = two_classes
    client = app.test_client()
    AuthActions(client).login(b_login)
    token = csrf(client.get(f"/teach/classes/{ids['class_b']}/edit").get_data(as_text=True))
    a, b, upload, assignment = ids["class_a"], ids["class_b"], ids["upload"], ids["assignment"]
    reads = [f"/teach/classes/{a}", f"/teach/classes/{a}/edit", f"/teach/classes/{a}/roster",
             f"/teach/classes/{a}/roster/{upload}", f"/teach/classes/{a}/progress",
             f"/teach/classes/{a}/progress.csv", f"/teach/classes/{a}/analysis", f"/teach/classes/{a}/reminders",
             f"/teach/classes/{a}/reminders.csv", f"/teach/classes/{a}/certificates.zip",
             f"/teach/classes/{a}/unfinished.xlsx",
             # A's upload through B's own class:
             f"/teach/classes/{b}/roster/{upload}"]
    for path in reads:
        response = client.get(path)
        assert response.status_code == 404, path  # 404, not 403: nothing confirms the class exists
    before = _row_counts(app)
    writes = [f"/teach/classes/{a}/edit", f"/teach/classes/{a}/owners", f"/teach/classes/{a}/join-code",
              f"/teach/classes/{a}/roster/{upload}/apply", f"/teach/classes/{b}/roster/{upload}/apply",
              f"/teach/classes/{a}/assignments", f"/teach/classes/{a}/assignments/{assignment}/delete",
              f"/teach/classes/{b}/assignments/{assignment}/delete", f"/teach/classes/{a}/reminders",
              f"/teach/classes/{a}/outbox/sent"]
    for path in writes:
        response = client.post(path, data={"csrf_token": token, "name": "乗っ取り", "course_id": "counter-staff",
                                           "login_id": b_login, "action": "rotate"})
        assert response.status_code == 404, path
    assert _row_counts(app) == before
    with app.app_context():
        assert db.session.get(Assignment, assignment) is not None


def test_a_trainee_cannot_reach_records_or_another_persons_history(app, client, login_as, create_user_factory):
    other_id, _ = create_user_factory("trainee", audience="counter_staff")
    login_as("trainee")
    for path in ("/records/", "/records/export", f"/records/people?q={other_id}", "/records/tokens",
                 "/admin/audit.csv", f"/admin/users/{other_id}"):
        assert client.get(path).status_code == 403, path


@pytest.fixture
def formula_person(app, create_user_factory):
    """A completed trainee whose name, kana, department and employee number start like formulas.

    The number is written straight to the database: the forms now refuse a leading sign, but
    records from before that rule (or from another system) must still export inert.
    """
    uid, _ = create_user_factory("trainee", audience="counter_staff", display_name="=HYPERLINK(\"x\")",
                                 name_kana="+かな", department="@所属", employee_no="000999")
    with app.test_request_context():
        db.session.get(User, uid).employee_no = "-000999"
        simulate_learning(db.session.get(User, uid), CONTENT.course("counter-staff"), CONTENT)
        db.session.commit()
        assert db.session.scalar(select(CourseCompletion.id).where(CourseCompletion.user_id == uid))
    return uid


def _assert_inert(row: list[str]) -> None:
    assert row[:4] == ["'-000999", "'=HYPERLINK(\"x\")", "'+かな", "'@所属"], row


def test_cp932_export_neutralises(client, login_as, formula_person):
    login_as("personnel", audience=None)
    page = client.get("/records/export").get_data(as_text=True)
    response = client.post("/records/export", data={"csrf_token": csrf(page), "format": "csv_cp932"})
    rows = list(csv.reader(io.StringIO(response.data.decode("cp932"), newline="")))
    _assert_inert(next(r for r in rows if "HYPERLINK" in r[1]))


def test_cli_export_neutralises(app, runner, formula_person, tmp_path):
    output = tmp_path / "out.csv"
    result = runner.invoke(args=["export", "completions", "--format", "csv", "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(output.read_bytes().decode("utf-8-sig"), newline="")))
    _assert_inert(next(r for r in rows if "HYPERLINK" in r[1]))


def test_audit_log_csv_neutralises(app, client, login_as, create_user_factory):
    login_as("admin", audience=None)
    with app.app_context():
        db.session.add(AuditEntry(action="=cmd|' /C calc'!A0", ip_address="+127.0.0.1", detail={}))
        db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").data.decode("utf-8-sig"), newline="")))
    row = next(r for r in rows if "cmd" in r[1])
    assert row[1].startswith("'=") and row[4] == "'+127.0.0.1"
