"""No input gives a 500 (issue 12): ids and page numbers beyond the database's integers, digits
that are not ASCII, a quiz token longer than its column, NUL bytes and fields longer than their
column. Each answer is a 400 or 404 with a Japanese message, and nothing is written.

The broad sweep over every route is tests/integration/test_fuzz.py; these are the named attacks.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.classes import make_class
from tests.support.learner import SUBMISSION, STEP, Learner, csrf, quiz_form
from training.content import load_checked
from training.extensions import db
from training.models import ApiToken, Base, Cohort, QuizAttempt, User

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
FIRST = CONTENT.module(COURSE.modules[0])
HUGE = "99999999999999999999"  # beyond PostgreSQL's INTEGER and SQLite's 64-bit integers


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.mark.parametrize("path", [
    f"/certificates/{HUGE}.pdf", f"/certificates/{2**31}.pdf", f"/teach/classes/{HUGE}",
    f"/admin/users/{HUGE}", f"/admin/certificates/{HUGE}", "/certificates/٣.pdf", "/certificates/².pdf",
])
def test_an_id_no_row_can_have_is_404(client, login_as, path):
    login_as("trainee", "instructor", "personnel", "admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_the_largest_integer_id_is_still_looked_up(client, login_as):
    login_as("admin")
    assert client.get(f"/admin/users/{2**31 - 1}").status_code == 404
    assert client.get("/admin/users/0002147483647").status_code == 404  # leading zeros are the same number


@pytest.mark.parametrize("page", [HUGE, "²", "-1", "0", "1.5", "9" * 10000])
def test_admin_user_list_refuses_a_page_number_out_of_range(client, login_as, page):
    login_as("admin")
    response = client.get(f"/admin/users?page={page}")
    assert response.status_code == 400
    assert "半角数字で指定してください" in response.get_data(as_text=True)


def test_admin_user_list_pages_still_work(client, login_as):
    login_as("admin")
    assert client.get("/admin/users?page=1").status_code == 200
    assert client.get("/admin/users?page=").status_code == 200


@pytest.fixture
def api_token(app):
    """A personnel API token; returns the Authorization header."""
    from training.records.api import hash_token

    secret = "fuzz-token-" + "k" * 30
    with app.app_context():
        db.session.add(ApiToken(name="テスト", token_hash=hash_token(secret), prefix=secret[:8]))
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("query", [f"page={HUGE}", f"per_page={HUGE}", "page=²", "per_page=²", "page=0",
                                   "fiscal_year=²", f"fiscal_year={HUGE}", "cohort_id=²", f"cohort_id={HUGE}"])
def test_api_refuses_numbers_out_of_range_with_json(client, api_token, query):
    response = client.get(f"/api/v1/completions?{query}", headers=api_token)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_api_per_page_above_the_maximum_is_refused(client, api_token):
    assert client.get("/api/v1/completions?per_page=1001", headers=api_token).status_code == 400
    assert client.get("/api/v1/completions?per_page=1000", headers=api_token).status_code == 200


@pytest.mark.parametrize("field,value", [("fiscal_year", "²"), ("fiscal_year", HUGE), ("cohort_id", "²"),
                                         ("cohort_id", HUGE)])
def test_records_export_refuses_bad_numbers_with_a_message(client, login_as, field, value):
    login_as("personnel", audience=None)
    page = client.get("/records/export").get_data(as_text=True)
    response = client.post("/records/export", data={"csrf_token": csrf(page), "format": "csv", field: value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "年度は" in html or "クラスの指定が正しくありません" in html


@pytest.mark.parametrize("year", ["²", HUGE, "٢٠٢٦", "1999", "2101"])
def test_dashboard_year_that_is_not_an_ascii_year_in_range_is_400(client, login_as, year):
    """Query-string integers follow one rule: absent or empty is the default, malformed is a 400."""
    login_as("personnel", audience=None)
    response = client.get(f"/records/?year={year}")
    assert response.status_code == 400
    assert "半角数字で指定してください" in response.get_data(as_text=True)
    assert client.get("/records/?year=").status_code == 200


def _started(client, login_as):
    user_id, _ = login_as("trainee", audience="counter_staff")
    learner = Learner(client, CONTENT, COURSE.id)
    learner.pre_survey()
    return user_id, learner


def _ordering_module():
    """A module of the course whose quiz has an ordering question."""
    for module_id in COURSE.modules:
        quiz = CONTENT.quiz(CONTENT.module(module_id).quiz)
        question = next((q for q in quiz.questions if q.kind == "ordering"), None)
        if question:
            return module_id, quiz, question
    raise AssertionError("no ordering question in the course")


@pytest.mark.parametrize("rank", ["²", "١", HUGE, "0"])
def test_an_ordering_rank_that_is_not_an_ascii_digit_is_an_invalid_answer(app, client, login_as, rank):
    user_id, _ = _started(client, login_as)
    module_id, quiz, question = _ordering_module()
    page = f"/learn/{COURSE.id}/m/{module_id}/quiz"
    html = client.get(page).get_data(as_text=True)
    data = quiz_form(quiz, html)
    data[f"q-{question.id}-1"] = rank  # the rank of the item shown first
    response = client.post(page, data={**data, "csrf_token": csrf(html), "token": SUBMISSION.search(html).group(1),
                                       "version": quiz.version})
    assert response.status_code == 400
    assert "回答の内容を読み取れませんでした" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                 .where(QuizAttempt.user_id == user_id)) == 0


@pytest.mark.parametrize("action", ["choose", "retry", "next"])
@pytest.mark.parametrize("step", ["²", HUGE, "-1"])
def test_a_scenario_step_that_is_not_ascii_digits_is_400(app, client, login_as, action, step):
    _started(client, login_as)
    scenario_id = COURSE.scenarios[0]
    page = f"/learn/{COURSE.id}/scenarios/{scenario_id}"
    html = client.get(page).get_data(as_text=True)
    client.post(f"{page}/start", data={"csrf_token": csrf(html)})
    html = client.get(page).get_data(as_text=True)
    assert STEP.search(html)
    before = _row_counts(app)
    scenario = CONTENT.quiz(scenario_id)
    node = scenario.node(scenario.start)
    response = client.post(f"{page}/{action}", data={"csrf_token": csrf(html), "node": node.id,
                                                     "choice": "1", "step": step})
    assert response.status_code == 400
    assert "読み取れませんでした" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_a_quiz_token_longer_than_its_column_is_400(app, client, login_as):
    user_id, _ = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    response = client.post(page, data={**quiz_form(quiz, html), "csrf_token": csrf(html), "token": "t" * 65,
                                       "version": quiz.version})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                 .where(QuizAttempt.user_id == user_id)) == 0


def test_a_quiz_token_of_the_column_length_that_names_no_sitting_asks_for_a_retry(app, client, login_as):
    """Tokens are issued by the server with the sitting: one of the column's width that names
    none is read (no 400, no 5xx) and answered like a stale page, with nothing stored."""
    user_id, _ = _started(client, login_as)
    page = f"/learn/{COURSE.id}/m/{FIRST.id}/quiz"
    html = client.get(page).get_data(as_text=True)
    quiz = CONTENT.quiz(FIRST.quiz)
    response = client.post(page, data={**quiz_form(quiz, html), "csrf_token": csrf(html), "token": "t" * 64,
                                       "version": quiz.version})
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert "もう一度解答してください" in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                 .where(QuizAttempt.user_id == user_id)) == 0


@pytest.mark.parametrize("where", ["path", "query", "form", "form-key", "json"])
def test_a_nul_byte_anywhere_is_refused_before_any_handler(app, client, login_as, where):
    login_as("admin", audience=None)
    page = client.get("/admin/users/new").get_data(as_text=True)
    token = csrf(page)
    before = _row_counts(app)
    if where == "path":
        response = client.get("/verify/ABCD%00EFGH")
    elif where == "query":
        response = client.get("/admin/users?q=a%00b")
    elif where == "form":
        response = client.post("/admin/users/new", data={"csrf_token": token, "login_id": "new\x00user",
                                                         "display_name": "利用者", "roles": "trainee",
                                                         "password": "long-enough-password-1"})
    elif where == "form-key":
        response = client.post("/admin/users/new", data={"csrf_token": token, "x\x00": "1"})
    else:
        response = client.post("/admin/settings", json={"organisation_name": ["a\x00"]},
                               headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert "制御文字 NUL" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_a_nul_byte_in_the_api_is_a_json_400(client, api_token):
    response = client.get("/api/v1/completions?department=a%00", headers=api_token)
    assert response.status_code == 400 and "NUL" in response.get_json()["message"]


def test_a_nul_byte_at_sign_in_is_refused(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf(page), "login_id": "a\x00", "password": "x"})
    assert response.status_code == 400


LONG = "長" * 10_000


@pytest.mark.parametrize("field,limit", [("display_name", 100), ("name_kana", 100), ("department", 100),
                                         ("employee_no", 32), ("login_id", 64)])
def test_admin_user_form_refuses_a_field_longer_than_its_column(app, client, login_as, field, limit):
    login_as("admin", audience=None)
    page = client.get("/admin/users/new").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "login_id": "new-user", "display_name": "新しい利用者", "roles": "trainee",
            "password": "long-enough-password-1", "audience": ""}
    data[field] = "1" * (limit + 1) if field in ("employee_no", "login_id") else LONG
    before = _row_counts(app)
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 200
    assert f"{limit}文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_class_form_refuses_a_name_longer_than_its_column(app, client, login_as):
    login_as("instructor", audience=None)
    page = client.get("/teach/classes/new").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post("/teach/classes/new", data={"csrf_token": csrf(page), "name": LONG,
                                                       "audience": "counter_staff", "fiscal_year": "2026"})
    assert response.status_code == 200
    assert "120文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_owner_form_refuses_a_login_id_longer_than_its_column(app, client, login_as):
    _uid, login_id = login_as("instructor", audience=None)
    cohort_id = make_class(app, login_id, name="クラス")
    page = client.get(f"/teach/classes/{cohort_id}/edit").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post(f"/teach/classes/{cohort_id}/owners", data={"csrf_token": csrf(page), "login_id": LONG},
                           follow_redirects=True)
    assert response.status_code in (200, 400)
    assert _row_counts(app) == before


@pytest.mark.parametrize("path", ["revoke", "reissue"])
def test_certificate_reason_longer_than_allowed_changes_nothing(app, client, login_as, path):
    from training.demo import simulate_learning

    login_as("admin", audience=None)
    with app.test_request_context():
        person = User(login_id="holder", display_name="受講者", password_hash="x", audience="counter_staff")
        db.session.add(person)
        db.session.flush()
        simulate_learning(person, COURSE, CONTENT)
        db.session.commit()
        from training.models import Certificate
        certificate_id = db.session.scalar(select(Certificate.id))
    page = client.get(f"/admin/certificates/{certificate_id}").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post(f"/admin/certificates/{certificate_id}/{path}",
                           data={"csrf_token": csrf(page), "reason": LONG}, follow_redirects=True)
    assert response.status_code == 200
    assert "文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_reminder_subject_and_body_longer_than_allowed_send_nothing(app, client, login_as, create_user_factory):
    member_id, _ = create_user_factory("trainee", audience="counter_staff", email="member@example.jp")
    _uid, login_id = login_as("instructor", audience=None)
    cohort_id = make_class(app, login_id, name="クラス", member_ids=[member_id])
    page = client.get(f"/teach/classes/{cohort_id}/reminders").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post(f"/teach/classes/{cohort_id}/reminders",
                           data={"csrf_token": csrf(page), "group": "not_started", "subject": "件名",
                                 "body": LONG * 2}, follow_redirects=True)
    assert response.status_code in (200, 400)
    assert "文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_token_name_longer_than_its_column_is_refused(app, client, login_as):
    login_as("personnel", audience=None)
    page = client.get("/records/tokens").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post("/records/tokens", data={"csrf_token": csrf(page), "name": LONG}, follow_redirects=True)
    assert "100文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before



def _join_class(app, create_user_factory) -> str:
    """A class open for self-registration; returns its join code."""
    _uid, owner = create_user_factory("instructor", audience=None)
    cohort_id = make_class(app, owner, name="参加コードのクラス")
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.join_code, cohort.join_enabled = "ABCD-EFGH", True
        db.session.commit()
    return "ABCD-EFGH"


@pytest.mark.parametrize("field,value", [("display_name", LONG), ("display_name", "x" * 101)])
def test_self_registration_refuses_a_name_longer_than_its_column(app, client, create_user_factory, field, value):
    code = _join_class(app, create_user_factory)
    page = client.get("/join").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "code": code, "step": "register", "display_name": "参加者",
            "login_id": "joiner-1", "email": "", "password": "a-long-enough-passphrase-42",
            "confirm": "a-long-enough-passphrase-42"}
    data[field] = value
    before = _row_counts(app)
    response = client.post("/join", data=data)
    assert response.status_code in (200, 400)
    assert "100文字以内で入力してください" in response.get_data(as_text=True)
    assert _row_counts(app) == before


@pytest.mark.parametrize("body", ['["x", "y"]', '"text"', "42", '{"name": [1, 2]}', '{"name": {"a": 1}}', "null"])
def test_a_json_body_on_a_form_is_refused(app, client, login_as, body):
    """Flask-WTF reads a JSON body as the form: a list, a number or nested values were a 500."""
    login_as("instructor", audience=None)
    page = client.get("/teach/classes/new").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post("/teach/classes/new", data=body, content_type="application/json",
                           headers={"X-CSRFToken": csrf(page)})
    assert response.status_code == 400
    assert "フォーム" in response.get_data(as_text=True)
    assert _row_counts(app) == before


def test_wtforms_own_errors_are_in_japanese(app, client, login_as):
    """A date or number WTForms cannot read, or a choice not offered, gets a Japanese message."""
    login_as("instructor", audience=None)
    page = client.get("/teach/classes/new").get_data(as_text=True)
    before = _row_counts(app)
    response = client.post("/teach/classes/new", data={"csrf_token": csrf(page), "name": "クラス", "audience": "²",
                                                       "fiscal_year": "２０２６", "starts_on": "²", "due_on": HUGE})
    html = response.get_data(as_text=True)
    assert "日付を正しく入力してください" in html and "選択肢の中から選んでください" in html
    assert "Not a valid" not in html and "not a valid" not in html
    assert _row_counts(app) == before


def test_self_registration_refuses_a_password_the_sign_in_form_would_refuse(app, client, create_user_factory):
    """The sign-in form takes at most 256 characters: a longer password would lock the account out."""
    code = _join_class(app, create_user_factory)
    page = client.get("/join").get_data(as_text=True)
    password = "長い合言葉-" + "x" * 300
    before = _row_counts(app)
    response = client.post("/join", data={"csrf_token": csrf(page), "code": code, "step": "register",
                                          "display_name": "参加者", "login_id": "joiner-2", "email": "",
                                          "password": password, "confirm": password})
    assert "256文字以内" in response.get_data(as_text=True)
    assert _row_counts(app) == before


@pytest.mark.parametrize("option,value", [("--name", "長" * 101), ("--department", "所" * 101),
                                          ("--login-id", "a" * 65)])
def test_cli_user_create_refuses_a_value_longer_than_its_column(app, runner, option, value):
    """One line, exit 1, no account (on PostgreSQL this was a DataError traceback). In-process
    through Click: an exception escaping the command would be ``result.exception``."""
    args = {"--login-id": "cli-user", "--password": "a-long-enough-passphrase-42", "--name": "利用者"}
    args[option] = value
    before = _row_counts(app)
    command = ["users", "create"]
    for key, text in args.items():
        command += [key, text]
    result = runner.invoke(args=command)
    assert result.exit_code == 1, result.stdout
    assert isinstance(result.exception, SystemExit), result.exception
    assert "文字以内で入力してください" in result.stderr and "Traceback" not in result.output
    assert _row_counts(app) == before
