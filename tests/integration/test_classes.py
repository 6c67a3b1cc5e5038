"""Instructors run classes: create, roster upload with preview, join codes, access."""
import io
import re

from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.support.learner import csrf
from training.extensions import db
from training.models import Assignment, AuditEntry, Cohort, CohortMember, User

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"


def _create_class(client, audience="counter_staff", join=False, name="窓口研修 11月"):
    page = client.get("/teach/classes/new").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "name": name, "audience": audience, "fiscal_year": "2026",
            "starts_on": "2026-11-01", "due_on": "2027-01-31"}
    if join:
        data["join_enabled"] = "y"
    response = client.post("/teach/classes/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_instructor_creates_a_class_with_its_course(app, client, login_as):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert (cohort.audience, cohort.fiscal_year) == ("counter_staff", 2026)
        assignment = db.session.scalar(select(Assignment).where(Assignment.cohort_id == cohort_id))
        assert assignment.course_id == "counter-staff" and str(assignment.due_on) == "2027-01-31"
    assert "窓口研修 11月" in client.get("/teach/").get_data(as_text=True)


def test_due_date_before_start_is_refused(client, login_as):
    login_as("instructor", audience=None)
    page = client.get("/teach/classes/new").get_data(as_text=True)
    response = client.post("/teach/classes/new", data={"csrf_token": csrf(page), "name": "x", "audience": "residents",
                                                        "fiscal_year": "2026", "starts_on": "2026-12-01",
                                                        "due_on": "2026-11-01"})
    assert "受講期限は開始日より後" in response.get_data(as_text=True)


def test_another_instructors_class_is_404(app, client, login_as, create_user_factory):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client)
    _id, other = create_user_factory("instructor", audience=None)
    other_client = app.test_client()
    AuthActions(other_client).login(other)
    for path in (f"/teach/classes/{cohort_id}", f"/teach/classes/{cohort_id}/edit",
                 f"/teach/classes/{cohort_id}/roster"):
        assert other_client.get(path).status_code == 404, path


def _upload(client, cohort_id, text, encoding="utf-8"):
    page = client.get(f"/teach/classes/{cohort_id}/roster").get_data(as_text=True)
    return client.post(f"/teach/classes/{cohort_id}/roster",
                       data={"csrf_token": csrf(page), "file": (io.BytesIO(text.encode(encoding)), "名簿.csv")},
                       content_type="multipart/form-data")


def test_roster_with_an_error_imports_nothing_then_the_fixed_file_imports(app, client, login_as):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client)
    bad = f"{HEADER}\r\n000101,光が丘 健,,税務課,,\r\n000102,,,,,\r\n"
    preview = client.get(_upload(client, cohort_id, bad, "cp932").headers["Location"]).get_data(as_text=True)
    assert "3行目" in preview and "氏名が空です" in preview and "1行も取り込みません" in preview
    assert "行を取り込む" not in preview
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.employee_no.like("0001%"))) == 0
    good = f"{HEADER}\r\n000101,光が丘 健,,税務課,,\r\n000102,石神井 花子,,収納課,,\r\n"
    location = _upload(client, cohort_id, good).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "2行を取り込む" in preview and "新規登録" in preview
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', preview).group(1)
    done = client.post(f"{location}/apply", data={"csrf_token": csrf(preview), "fingerprint": fingerprint})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "初回ログイン用パスワード" in html and "000102" in html
    with app.app_context():
        members = db.session.scalar(select(func.count()).select_from(CohortMember)
                                    .where(CohortMember.cohort_id == cohort_id))
        assert members == 2
    assert "光が丘 健" in client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)


def test_join_code_for_a_signed_in_trainee(app, client, login_as, create_user_factory):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client, audience="residents", join=True, name="区民講座 12月")
    with app.app_context():
        code = db.session.get(Cohort, cohort_id).join_code
    trainee = app.test_client()
    _uid, login_id = create_user_factory("trainee", audience="residents")
    AuthActions(trainee).login(login_id)
    page = trainee.get("/join").get_data(as_text=True)
    wrong = trainee.post("/join", data={"csrf_token": csrf(page), "code": "ZZZZ-ZZZZ"})
    assert "参加コードが正しくないか" in wrong.get_data(as_text=True)
    ok = trainee.post("/join", data={"csrf_token": csrf(page), "code": code.lower().replace("-", "")})
    assert ok.status_code == 302
    assert "区民講座 12月" in trainee.get("/").get_data(as_text=True)


def test_disabled_and_rotated_codes_stop_working(app, client, login_as):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client, audience="residents", join=True)
    with app.app_context():
        old = db.session.get(Cohort, cohort_id).join_code
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    client.post(f"/teach/classes/{cohort_id}/join-code", data={"csrf_token": csrf(page), "action": "rotate"})
    visitor = app.test_client()
    form = visitor.get("/join").get_data(as_text=True)
    assert "参加コードが正しくないか" in visitor.post("/join", data={"csrf_token": csrf(form), "code": old}).get_data(as_text=True)
    with app.app_context():
        new = db.session.get(Cohort, cohort_id).join_code
    assert new != old
    client.post(f"/teach/classes/{cohort_id}/join-code", data={"csrf_token": csrf(page), "action": "disable"})
    assert "参加コードが正しくないか" in visitor.post("/join", data={"csrf_token": csrf(form), "code": new}).get_data(as_text=True)


def test_new_student_registers_with_a_code_and_no_email(app, client, login_as):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client, audience="high_school", join=True, name="第一高校 2年")
    with app.app_context():
        code = db.session.get(Cohort, cohort_id).join_code
    student = app.test_client()
    page = student.get("/join").get_data(as_text=True)
    step2 = student.post("/join", data={"csrf_token": csrf(page), "code": code}).get_data(as_text=True)
    assert "ニックネームまたは生徒番号" in step2 and 'name="email"' not in step2
    assert 'name="employee_no"' not in step2 and 'name="department"' not in step2
    response = student.post("/join", data={"csrf_token": csrf(step2), "code": code, "step": "register",
                                           "display_name": "2年3組 15番", "login_id": "dai1-2315",
                                           "password": "student-pass-1", "confirm": "student-pass-1",
                                           "email": "should@not.be.kept"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login_id == "dai1-2315"))
        assert user.email is None and user.audience == "high_school" and user.roles == {"trainee"}
    assert "高校生向けゲートキーパー講座" in student.get("/").get_data(as_text=True)


def _open_class(audience: str, name: str = "窓口研修 4月") -> str:
    """A class open for join-code registration (inside an app context); returns its code."""
    from training.teach.classes import new_join_code

    cohort = Cohort(name=name, audience=audience, fiscal_year=2026, join_code=new_join_code(), join_enabled=True)
    db.session.add(cohort)
    db.session.commit()
    return cohort.join_code


def _register(visitor, code: str, **fields):
    page = visitor.get("/join").get_data(as_text=True)
    step2 = visitor.post("/join", data={"csrf_token": csrf(page), "code": code}).get_data(as_text=True)
    data = {"csrf_token": csrf(step2), "code": code, "step": "register", "display_name": "練馬 花子",
            "login_id": "hanako.n", "password": "staff-pass-2026", "confirm": "staff-pass-2026"} | fields
    return step2, visitor.post("/join", data=data)


def test_staff_registration_asks_for_employee_number_and_department(app, create_user_factory):
    """Staff classes ask for 職員番号 (the roster's rule) and 所属 (the master); residents neither."""
    from training import departments

    create_user_factory("trainee", employee_no="004513", login_id="sato")
    with app.app_context():
        residents = _open_class("residents", "区民講座")
        code = _open_class("counselors", "相談窓口研修")
    visitor = app.test_client()
    page = visitor.get("/join").get_data(as_text=True)
    step2 = visitor.post("/join", data={"csrf_token": csrf(page), "code": residents}).get_data(as_text=True)
    assert 'name="employee_no"' not in step2 and 'name="department"' not in step2
    # The master is empty: 所属 is free text, as the rule says.
    step2, missing = _register(visitor, code)
    assert 'name="employee_no"' in step2 and '<input class="field__input" id="department"' in step2
    assert "職員番号を入力してください。" in missing.get_data(as_text=True)
    assert "所属を入力してください。" in missing.get_data(as_text=True)
    for number, message in (("4513", "先頭の0を除くと登録済みの職員番号と同じです"),
                            ("004513", "職員番号「004513」はすでに登録されています。"),
                            ("45 13", "半角英数字で書いてください")):
        html = _register(visitor, code, employee_no=number, department="福祉部 生活福祉課")[1].get_data(as_text=True)
        assert message in html and ("研修担当にお問い合わせください" in html) == (number != "45 13"), number
        assert 'value="福祉部 生活福祉課"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1  # nothing was created
        fukushi = departments.create("F01", "福祉部 生活福祉課")
        departments.create("F02", "福祉部 障害者支援課")
        departments.create("K01", "区民部 収納課", valid_to=2020)  # ended: not offered
        db.session.commit()
        fukushi_id = fukushi.id
    # With a master: a select of this year's departments; a typed unknown name gets close matches.
    step2, unknown = _register(visitor, code, employee_no="004514", department="福祉部 生活副祉課")
    assert '<select class="field__input" id="department"' in step2
    assert '<optgroup label="福祉部">' in step2 and "障害者支援課" in step2 and "収納課" not in step2
    assert "近い所属：福祉部 生活福祉課" in unknown.get_data(as_text=True)
    response = _register(visitor, code, employee_no="００４５１４", department="F01")[1]  # full-width digits
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login_id == "hanako.n"))
        assert (user.employee_no, user.department, user.department_id) == ("004514", "福祉部 生活福祉課", fukushi_id)
        assert user.audience == "counselors"
        assert db.session.scalars(select(Cohort.name).join(CohortMember).where(CohortMember.user_id == user.id)).all() \
            == ["相談窓口研修"]


def test_signed_in_staff_without_a_number_is_asked_once(app, create_user_factory):
    """A signed-in person joining a staff class gives only what their account lacks."""
    with app.app_context():
        code = _open_class("counter_staff")
    _uid, login_id = create_user_factory("trainee", audience="residents", login_id="self.made")
    _uid2, numbered = create_user_factory("trainee", employee_no="000777", department="税務課")
    person = app.test_client()
    AuthActions(person).login(login_id)
    page = person.get("/join").get_data(as_text=True)
    ask = person.post("/join", data={"csrf_token": csrf(page), "code": code}).get_data(as_text=True)
    assert 'name="employee_no"' in ask and 'name="department"' in ask and 'name="login_id"' not in ask
    twin = person.post("/join", data={"csrf_token": csrf(page), "code": code, "step": "profile",
                                      "employee_no": "777", "department": "収納課"}).get_data(as_text=True)
    assert "先頭の0を除くと登録済みの職員番号と同じです" in twin
    done = person.post("/join", data={"csrf_token": csrf(page), "code": code, "step": "profile",
                                      "employee_no": "000778", "department": "収納課"})
    assert done.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login_id == "self.made"))
        assert (user.employee_no, user.department) == ("000778", "収納課")
        assert db.session.scalar(select(func.count()).select_from(CohortMember).where(CohortMember.user_id == user.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user.update", AuditEntry.target_id == str(user.id))) == 1
    other = app.test_client()
    AuthActions(other).login(numbered)
    page = other.get("/join").get_data(as_text=True)
    assert other.post("/join", data={"csrf_token": csrf(page), "code": code}).status_code == 302  # nothing asked


def test_join_is_rate_limited(app):
    visitor = app.test_client()
    page = visitor.get("/join").get_data(as_text=True)
    statuses = [visitor.post("/join", data={"csrf_token": csrf(page), "code": "ZZZZ-ZZZZ"}).status_code
                for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429


def test_assignments_add_and_remove(app, client, login_as, create_user_factory):
    login_as("instructor", audience=None)
    cohort_id = _create_class(client, audience="counter_staff")
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    client.post(f"/teach/classes/{cohort_id}/assignments", data={"csrf_token": csrf(page), "course_id": "counselors",
                                                                  "module_id": "counselor-debt", "due_on": "2027-02-28"})
    bad = client.post(f"/teach/classes/{cohort_id}/assignments", data={"csrf_token": csrf(page), "course_id": "counselors",
                                                                        "module_id": "hs-notice"})
    assert bad.status_code == 422 and "講座「相談員向けゲートキーパー講座」に含まれていません" in bad.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Assignment).where(Assignment.cohort_id == cohort_id)).all()
        assert {(a.course_id, a.module_id) for a in rows} == {("counter-staff", None), ("counselors", "counselor-debt")}
        extra_id = next(a.id for a in rows if a.module_id)
    member_id, member_login = create_user_factory("trainee", audience="counter_staff")
    with app.app_context():
        db.session.add(CohortMember(cohort_id=cohort_id, user_id=member_id))
        db.session.commit()
    trainee = app.test_client()
    AuthActions(trainee).login(member_login)
    assert trainee.get("/learn/counselors").status_code == 200  # opened by the assignment
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    client.post(f"/teach/classes/{cohort_id}/assignments/{extra_id}/delete", data={"csrf_token": csrf(page)})
    assert trainee.get("/learn/counselors").status_code == 403
