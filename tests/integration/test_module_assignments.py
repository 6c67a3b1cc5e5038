"""A single module assigned to a class: the trainee's work with its own due date, complete when the
module is, and tracked as such on the class page, the progress matrix and reminders (issue 16)."""
from pathlib import Path

from sqlalchemy import select

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import Learner, csrf
from training.content import load_checked
from training.extensions import db
from training.models import Assignment

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")
MODULE = CONTENT.module("counter-signs")
OTHER = CONTENT.course("counselors")


def _assign(client, cohort_id, course_id, module="", due=""):
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    return client.post(f"/teach/classes/{cohort_id}/assignments",
                       data={"csrf_token": csrf(page), "course_id": course_id, "module_id": module, "due_on": due})


def _trainee(app, login):
    client = app.test_client()
    AuthActions(client).login(login)
    return client


def test_module_assignment_is_the_work_and_is_tracked_by_the_module(app, client, login_as, create_user_factory):
    _owner, owner_login = login_as("instructor", audience=None)
    doer_id, doer_login = create_user_factory("trainee", display_name="受講 一郎", name_kana="あ")
    idle_id, _ = create_user_factory("trainee", display_name="受講 二郎", name_kana="い")
    cohort_id = make_class(app, owner_login, member_ids=(doer_id, idle_id))
    assert _assign(client, cohort_id, COURSE.id).status_code == 302                       # the whole course
    assert _assign(client, cohort_id, COURSE.id, f"{COURSE.id}/{MODULE.id}", "2099-03-31").status_code == 302

    doer = _trainee(app, doer_login)
    home = doer.get("/").get_data(as_text=True)
    assert f"割り当て：モジュール『{MODULE.title}』" in home and "（期限 2099年3月31日）" in home
    assert f"/learn/{COURSE.id}/resume?module={MODULE.id}" in home
    learner = Learner(doer, CONTENT, COURSE.id)
    learner.pre_survey()
    learner.read_module(MODULE.id)
    assert learner.take_quiz(MODULE.id)[0].status_code == 302
    assert "このモジュールを修了しました" in doer.get("/").get_data(as_text=True)

    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    doer_row = page[page.index("受講 一郎"):].split("</tr>")[0]
    # The module's column says complete, the course's (still incomplete) does not.
    assert doer_row.count("<td>修了 ") == 1 and doer_row.count("<td>未修了</td>") == 1
    assert f"モジュール『{MODULE.title}』" in page

    show = f"{COURSE.id}/{MODULE.id}"
    matrix = client.get(f"/teach/classes/{cohort_id}/progress?show={show}").get_data(as_text=True)
    assert f'<option value="{show}" selected>' in matrix
    assert "修了 1人" in matrix and "未着手 1人" in matrix and "受講中 0人" in matrix
    whole = client.get(f"/teach/classes/{cohort_id}/progress?show={COURSE.id}").get_data(as_text=True)
    assert "修了 0人" in whole and "受講中 1人" in whole
    csv_text = client.get(f"/teach/classes/{cohort_id}/progress.csv?show={show}").get_data().decode("utf-8-sig")
    assert MODULE.title in csv_text.splitlines()[0] and "受講 一郎" in csv_text

    reminders = client.get(f"/teach/classes/{cohort_id}/reminders?show={show}&status=unfinished").get_data(as_text=True)
    assert "まだ始めていない方（1人）" in reminders and "受講中の方（0人）" in reminders
    assert f"モジュール『{MODULE.title}』の受講のお願い" in reminders
    assert "受講中の方（1人）" in client.get(f"/teach/classes/{cohort_id}/reminders?show={COURSE.id}").get_data(
        as_text=True)


def test_a_module_of_another_course_opens_only_that_module(app, client, login_as, create_user_factory):
    _owner, owner_login = login_as("instructor", audience=None)
    member_id, member_login = create_user_factory("trainee")           # counter_staff
    cohort_id = make_class(app, owner_login, member_ids=(member_id,))
    module = CONTENT.module("counselor-debt")
    assert _assign(client, cohort_id, OTHER.id, f"{OTHER.id}/{module.id}").status_code == 302
    trainee = _trainee(app, member_login)
    overview = trainee.get(f"/learn/{OTHER.id}").get_data(as_text=True)
    assert "対象外" in overview and module.title in overview
    Learner(trainee, CONTENT, OTHER.id).pre_survey()
    closed = CONTENT.module(OTHER.modules[0])
    section = closed.sections_for(OTHER.audience)[0]
    assert trainee.get(f"/learn/{OTHER.id}/m/{closed.id}/s/{section.id}").status_code == 403
    assert trainee.get(f"/learn/{OTHER.id}/scenarios/{OTHER.scenarios[0]}").status_code == 403
    resume = trainee.get(f"/learn/{OTHER.id}/resume")
    assert f"/m/{module.id}/s/" in resume.headers["Location"]
    home = trainee.get("/").get_data(as_text=True)
    assert f"割り当て：モジュール『{module.title}』" in home


def test_a_course_and_module_that_do_not_belong_together_are_named_on_the_form(app, client, login_as):
    _owner, owner_login = login_as("instructor", audience=None)
    cohort_id = make_class(app, owner_login)
    shared = COURSE.modules[0]  # in several courses: the pair, not the module, decides
    response = _assign(client, cohort_id, COURSE.id, f"{OTHER.id}/{shared}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="module_id-error"' in html and f"講座「{COURSE.title}」に含まれていません" in html
    bad_date = _assign(client, cohort_id, COURSE.id, f"{COURSE.id}/{shared}", "2099-02-30")
    assert bad_date.status_code == 422 and "日付を正しく入力してください" in bad_date.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Assignment).where(Assignment.cohort_id == cohort_id)).all() == []
    # The module list names each module once under its course.
    page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
    group = page[page.index(f'<optgroup label="{COURSE.title}">'):].split("</optgroup>")[0]
    assert group.count(f"{COURSE.id}/") == len(COURSE.modules) and COURSE.title not in group.split(">", 1)[1]
