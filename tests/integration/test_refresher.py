"""Refresher completions (issue 16): a class that does not count earlier completions asks for the
course again, and the person can complete it again.

Records are stamped with the real time, so "last year" is the fiscal year before today's and the
class is of today's fiscal year: the earlier completion is written straight into the database,
dated last June; the new one is earned through the pages.
"""
import datetime as dt

from sqlalchemy import func, select

from training.certificates.service import issue_for_completion
from training.content import load_checked
from training.dates import JST, fiscal_year_of, format_date, today_jst
from training.extensions import db
from training.learn import cycle
from training.models import (Assignment, Certificate, Cohort, CourseCompletion, ModuleCompletion, QuizAttempt,
                             SectionView, SurveyResponse, utcnow)
from training.records import dashboard
from tests.support.classes import make_class
from tests.support.learner import Learner, survey_form

CONTENT = load_checked(__import__("pathlib").Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")


def _this_year() -> int:
    return fiscal_year_of(today_jst())


def _complete_directly(user_id: int, at: dt.datetime) -> None:
    """Every record of a whole completion of COURSE, dated ``at``, with its certificate."""
    for phase in ("pre", "post"):
        db.session.add(SurveyResponse(user_id=user_id, course_id=COURSE.id, phase=phase, answers={},
                                      content_version=CONTENT.version, submitted_at=at))
    for module_id in COURSE.modules:
        module = CONTENT.module(module_id)
        for section in module.sections_for(COURSE.audience):
            db.session.add(SectionView(user_id=user_id, course_id=COURSE.id, module_id=module_id,
                                       section_id=section.id, viewed_at=at))
        db.session.add(QuizAttempt(user_id=user_id, course_id=COURSE.id, quiz_id=module.quiz, kind="quiz",
                                   score=1, max_score=1, passed=True, content_version="v", submitted_at=at))
        db.session.add(ModuleCompletion(user_id=user_id, course_id=COURSE.id, module_id=module_id, score=100,
                                        content_version="v", completed_at=at))
    for scenario_id in COURSE.scenarios:
        db.session.add(QuizAttempt(user_id=user_id, course_id=COURSE.id, quiz_id=scenario_id, kind="scenario",
                                   score=1, max_score=1, passed=True, content_version="v", submitted_at=at))
    completion = CourseCompletion(user_id=user_id, course_id=COURSE.id, score=100, content_version="v",
                                  completed_at=at, audience="counter_staff")
    db.session.add(completion)
    db.session.flush()
    issue_for_completion(completion, COURSE)


def _resume(client) -> str:
    return client.get(f"/learn/{COURSE.id}/resume").headers["Location"]


def test_a_refresher_class_asks_again_and_a_second_completion_is_recorded(app, client, auth, login_as,
                                                                           create_user_factory):
    year = _this_year()
    last_june = dt.datetime(year - 1, 6, 1, 10, 0, tzinfo=JST)
    _owner, owner_login = create_user_factory("instructor", audience=None)
    user_id, login = create_user_factory("trainee", display_name="再受講 花子")
    counted_id, counted_login = create_user_factory("trainee", display_name="前回で可 太郎")
    refresher_id = make_class(app, owner_login, name=f"{year}年度 窓口フォローアップ", fiscal_year=year,
                              member_ids=(user_id,))
    second_id = make_class(app, owner_login, name=f"{year}年度 全体研修", fiscal_year=year, member_ids=(user_id,))
    counting_id = make_class(app, owner_login, name=f"{year}年度 前回も数える", fiscal_year=year,
                             member_ids=(counted_id,))
    with app.app_context():
        db.session.get(Cohort, counting_id).counts_earlier_completions = True
        for uid in (user_id, counted_id):
            _complete_directly(uid, last_june)
        db.session.commit()
        first_serial = db.session.scalar(select(Certificate.serial).where(Certificate.user_id == user_id))

    # A class that counts earlier completions: nothing changes.
    auth.login(counted_login)
    home = client.get("/").get_data(as_text=True)
    assert "修了しました" in home and "前回の修了" not in home
    auth.logout()

    # The refresher: home says the course is asked for again, not 修了.
    auth.login(login)
    home = client.get("/").get_data(as_text=True)
    assert f"前回の修了：{year - 1}年6月1日。クラス「{year}年度 全体研修」「{year}年度 窓口フォローアップ」では今年度あらためて受講します" in home
    assert "修了しました" not in home
    page = client.get(f"/learn/{COURSE.id}").get_data(as_text=True)
    assert "前回の修了" in page and "修了しました" not in page
    # The pre-survey is answered again, then every section from the first.
    assert _resume(client).endswith(f"/learn/{COURSE.id}/survey/pre")
    learner = Learner(client, CONTENT, COURSE.id)
    assert learner.pre_survey().status_code == 302
    first = COURSE.modules[0]
    first_section = CONTENT.module(first).sections_for(COURSE.audience)[0].id
    assert _resume(client).endswith(f"/m/{first}/s/{first_section}")

    # The instructor's matrix counts progress since the class's start, with the note.
    auth.logout()
    auth.login(owner_login)
    matrix = client.get(f"/teach/classes/{refresher_id}/progress").get_data(as_text=True)
    assert "修了 0人" in matrix and f"前回の修了 {year - 1}年6月1日" in matrix
    row = matrix[matrix.index("再受講 花子"):].split("</tr>")[0]
    assert "100%" not in row
    auth.logout()
    auth.login(login)

    # All but the last module done again this year (written directly to keep the test short):
    # the last module's sections, its quiz and the second scenario are still asked for.
    now = utcnow()
    last = COURSE.modules[-1]
    with app.app_context():
        for module_id in COURSE.modules[:-1]:
            db.session.execute(SectionView.__table__.update().where(
                SectionView.user_id == user_id, SectionView.module_id == module_id).values(viewed_at=now))
            db.session.add(QuizAttempt(user_id=user_id, course_id=COURSE.id, quiz_id=CONTENT.module(module_id).quiz,
                                       kind="quiz", score=1, max_score=1, passed=True, content_version="v",
                                       submitted_at=now))
        db.session.add(QuizAttempt(user_id=user_id, course_id=COURSE.id, quiz_id=COURSE.scenarios[0],
                                   kind="scenario", score=1, max_score=1, passed=True, content_version="v",
                                   submitted_at=now))
        db.session.commit()
    last_first = CONTENT.module(last).sections_for(COURSE.audience)[0].id
    assert _resume(client).endswith(f"/m/{last}/s/{last_first}")
    learner.read_module(last)  # a section read last year is read again (its view re-stamped)
    assert _resume(client).endswith(f"/m/{last}/quiz")
    response, _ = learner.take_quiz(last)
    assert response.status_code == 302
    assert _resume(client).endswith(f"/scenarios/{COURSE.scenarios[1]}")
    assert learner.play_best(COURSE.scenarios[1]).status_code == 302
    assert _resume(client).endswith("/survey/post")
    done = learner.post(f"/learn/{COURSE.id}/survey/post", survey_form(CONTENT, post=True, audience=COURSE.audience))
    assert done.status_code == 200

    # A second completion of this fiscal year, with its own certificate and date.
    today = today_jst()
    with app.app_context():
        completions = db.session.scalars(select(CourseCompletion).where(CourseCompletion.user_id == user_id)
                                         .order_by(CourseCompletion.cycle)).all()
        assert [(c.cycle, c.fiscal_year) for c in completions] == [(1, year - 1), (2, year)]
        assert db.session.scalar(select(func.count()).select_from(ModuleCompletion).where(
            ModuleCompletion.user_id == user_id, ModuleCompletion.cycle == 2)) == len(COURSE.modules)
        assert set(db.session.scalars(select(SurveyResponse.cycle).where(SurveyResponse.user_id == user_id))) == {1, 2}
        assert db.session.scalar(select(SectionView.viewed_at).where(
            SectionView.user_id == user_id, SectionView.section_id == last_first)) >= now
        certificate = db.session.scalar(select(Certificate).where(
            Certificate.course_completion_id == completions[1].id))
        assert certificate.completed_on == today and certificate.fiscal_year == year
        assert certificate.serial != first_serial and certificate.serial.startswith(f"GK{year}-")
        code = certificate.verification_code
        # The dashboard counts the person once in each fiscal year, and the year's total once.
        for fy in (year - 1, year):
            board = dashboard.build(fy, 10, CONTENT)
            assert board.trained == 1 + (fy == year - 1) and board.by_month[-1][2] == board.trained
    home = client.get("/").get_data(as_text=True)
    assert "修了しました" in home and "前回の修了" not in home
    assert format_date(today) in client.get(f"/verify/{code}").get_data(as_text=True)
    progress = client.get(f"/learn/{COURSE.id}/progress").get_data(as_text=True)
    assert certificate.serial in progress

    # Both classes of the year count the one new completion.
    auth.logout()
    auth.login(owner_login)
    for cohort_id in (refresher_id, second_id):
        page = client.get(f"/teach/classes/{cohort_id}").get_data(as_text=True)
        row = page[page.rindex("再受講 花子"):].split("</tr>")[0]
        assert "<td>修了 " in row and "このクラスでは数えていない方" not in page
        assert "修了 1人" in client.get(f"/teach/classes/{cohort_id}/progress").get_data(as_text=True)
    # The person page lists both completions, each with its year, and both certificates.
    person = client.get(f"/teach/people/{user_id}").get_data(as_text=True)
    assert f"（{year - 1}年度）" in person and f"（{year}年度・2回目）" in person
    assert first_serial in person and certificate.serial in person


def test_since_follows_the_classes_of_the_person(app, client, auth, create_user_factory):
    """Unit-level checks of cycle.since against the database: which classes ask again."""
    year = _this_year()
    _owner, owner_login = create_user_factory("instructor", audience=None)
    user_id, login = create_user_factory("trainee", audience="residents")
    start = dt.datetime(year, 4, 1, tzinfo=JST)
    with app.app_context():
        db.session.add(CourseCompletion(user_id=user_id, course_id=COURSE.id, score=90, content_version="v",
                                        completed_at=dt.datetime(year - 1, 6, 1, tzinfo=JST)))
        db.session.add(ModuleCompletion(user_id=user_id, course_id=COURSE.id, module_id=COURSE.modules[0], score=90,
                                        content_version="v", completed_at=dt.datetime(year - 1, 6, 1, tzinfo=JST)))
        db.session.commit()
    # A class of another audience, no assignments: it tracks its audience's course only.
    cohort_id = make_class(app, owner_login, audience="residents", fiscal_year=year, member_ids=(user_id,))
    with app.app_context():
        assert cycle.since(user_id, COURSE.id) is None
        # A single module of the course assigned: the class tracks the course.
        db.session.add(Assignment(cohort_id=cohort_id, course_id=COURSE.id, module_id=COURSE.modules[0]))
        db.session.commit()
        assert cycle.since(user_id, COURSE.id) == start
        assert cycle.current_cycle(user_id, COURSE.id) == (2, start)
    # The assigned module is work again, and the home page says why.
    auth.login(login)
    home = client.get("/").get_data(as_text=True)
    assert f"前回の修了：{year - 1}年6月1日" in home and "このモジュールを修了しました" not in home
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohort.archived = True
        db.session.commit()
        assert cycle.since(user_id, COURSE.id) is None
        assert cycle.current_cycle(user_id, COURSE.id) == (1, None)
        cohort.archived, cohort.counts_earlier_completions = False, True
        db.session.commit()
        assert cycle.since(user_id, COURSE.id) is None
        # A class starting later in the year asks from its own start, once it has begun.
        cohort.counts_earlier_completions = False
        cohort.starts_on = today_jst() + dt.timedelta(days=1)
        db.session.commit()
        assert cycle.since(user_id, COURSE.id) is None
        cohort.starts_on = today_jst()
        db.session.commit()
        assert cycle.since(user_id, COURSE.id) == dt.datetime.combine(today_jst(), dt.time(), JST)
