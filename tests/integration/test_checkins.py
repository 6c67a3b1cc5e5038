"""Check-ins 「いまの気持ちは？」: one tap after a scenario ending or a check-in section, private
answers, the help lines for a low answer, and counts (never a person) for the class's
instructors and for personnel, with the small-count rule."""
import datetime as dt
import re

from sqlalchemy import func, select

from tests.support.classes import make_class
from tests.support.learner import csrf
from training.dates import fiscal_year_of, today_jst
from training.extensions import db
from training.learn.checkins import ONE_LEVEL, TOO_FEW
from training.models import CheckIn, QuizAttempt, SectionView, SurveyResponse, utcnow

HELP = re.compile(r'<section class="callout callout--urgent help-offer".*?</section>', re.S)
CARD_NAME = re.compile(r'<h3 class="contact-card__name">([^<]+)</h3>')


def _rows(app, user_id=None):
    with app.app_context():
        stmt = select(CheckIn).order_by(CheckIn.id)
        if user_id is not None:
            stmt = stmt.where(CheckIn.user_id == user_id)
        return [(c.course_id, c.place, c.level, c.cohort_id) for c in db.session.scalars(stmt)]


def test_student_checks_in_after_a_scenario_ending(app, client, login_as):
    user_id, _ = login_as("trainee", audience="high_school")
    with app.app_context():
        attempt = QuizAttempt(user_id=user_id, course_id="high-school", quiz_id="hs-case1-brother", kind="scenario",
                              answers={"steps": [], "ending": "end"}, content_version="old")
        db.session.add(attempt)
        db.session.commit()
        attempt_id = attempt.id
    page = client.get(f"/learn/high-school/attempts/{attempt_id}").get_data(as_text=True)
    assert "いまの気持ちは？" in page and ">すごくつらい</button>" in page and "落ち着いている" not in page
    assert 'value="scenario:hs-case1-brother"' in page and "次へ進む →" in page  # skipping: the way on stays
    form = {"csrf_token": csrf(page), "place": "scenario:hs-case1-brother"}

    low = client.post("/learn/high-school/checkin", data={**form, "level": "1"})
    assert low.status_code == 200
    html = low.get_data(as_text=True)
    panel = HELP.search(html).group(0)
    names = CARD_NAME.findall(panel)
    assert names[0] == "24時間子供SOSダイヤル" and "よりそいホットライン" not in names  # the youth lines, open now first
    assert '<a class="button button--secondary" href="/learn/high-school">ここで休む（続きはいつでも再開できます）</a>' in html
    assert "続ける →" in html
    again = client.post("/learn/high-school/checkin", data={**form, "level": "2"})  # a second tap: replaces
    assert again.status_code == 200
    assert _rows(app, user_id) == [("high-school", "scenario:hs-case1-brother", 2, None)]

    for bad in ({"level": "5"}, {"level": ""}, {"level": "１"}, {"level": "3", "place": "scenario:nowhere"},
                {"level": "3", "place": "section:core-watch#self-care"}):  # an adult course's place
        response = client.post("/learn/high-school/checkin", data={**form, **bad})
        assert response.status_code == 400, bad
        assert "この回答は受け付けられませんでした" in response.get_data(as_text=True)
    other = client.post("/learn/counter-staff/checkin", data={**form, "place": "section:core-watch#self-care",
                                                             "level": "3"})
    assert other.status_code == 403  # not a course this student can take
    assert _rows(app, user_id) == [("high-school", "scenario:hs-case1-brother", 2, None)]


def test_adult_checks_in_after_the_self_care_section(app, client, login_as, create_user_factory):
    _owner_id, owner_login = create_user_factory("instructor")
    user_id, _ = login_as("trainee", audience="counter_staff")
    cohort_id = make_class(app, owner_login, member_ids=[user_id])
    with app.app_context():
        db.session.add(SurveyResponse(user_id=user_id, course_id="counter-staff", phase="pre", answers={},
                                      content_version="x"))
        db.session.commit()
    section = "/learn/counter-staff/m/core-watch/s/self-care"
    page = client.get(section).get_data(as_text=True)
    assert 'value="section:core-watch#self-care"' in page and ">少し重い</button>" in page and "次へ →" in page
    assert "いまの気持ちは？" not in client.get("/learn/counter-staff/m/core-watch/s/boundaries").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "place": "section:core-watch#self-care"}

    middle = client.post("/learn/counter-staff/checkin", data={**form, "level": "3"})
    assert middle.status_code == 302 and middle.headers["Location"].endswith("/m/core-watch/s/boundaries")
    thanked = client.get(middle.headers["Location"]).get_data(as_text=True)
    assert "ご回答ありがとうございました。" in thanked and "help-offer" not in thanked
    with app.app_context():  # answering at the end of the section goes on, as 「次へ」 does
        assert db.session.scalar(select(func.count()).select_from(SectionView).where(
            SectionView.user_id == user_id, SectionView.section_id == "self-care")) == 1

    low = client.post("/learn/counter-staff/checkin", data={**form, "level": "2"})
    html = low.get_data(as_text=True)
    names = CARD_NAME.findall(HELP.search(html).group(0))
    assert "よりそいホットライン" in names and "24時間子供SOSダイヤル" not in names and "チャイルドライン（18歳まで）" not in names
    assert 'href="/learn/counter-staff/m/core-watch/s/boundaries">続ける →</a>' in html
    assert "ここで休む（続きはいつでも再開できます）" in html
    assert _rows(app, user_id) == [("counter-staff", "section:core-watch#self-care", 2, cohort_id)]


def test_counts_by_class_hide_small_groups_and_never_a_person(app, client, auth, create_user_factory):
    _owner_id, owner_login = create_user_factory("instructor")
    _other_id, other_login = create_user_factory("instructor")
    _hr_id, hr_login = create_user_factory("personnel")
    members = [create_user_factory("trainee", display_name=f"受講 太郎{i}")[0] for i in range(6)]
    cohort_id = make_class(app, owner_login, member_ids=members)
    make_class(app, other_login, name="ほかのクラス", member_ids=[])
    yesterday = utcnow() - dt.timedelta(days=1)
    with app.app_context():
        answers = [("section:core-watch#self-care", [4, 3, 3, 2, 1]),       # 5 answers: shown
                   ("scenario:counter-case2-arrears", [4, 4, 3, 1]),        # 4: too few
                   ("scenario:counter-insurance", [3, 3, 3, 3, 3])]         # all alike: would reveal each
        for place, levels in answers:
            db.session.add_all(CheckIn(user_id=u, course_id="counter-staff", place=place, level=level,
                                       cohort_id=cohort_id, at=yesterday) for u, level in zip(members, levels))
        db.session.add(CheckIn(user_id=members[5], course_id="counter-staff", place="section:core-watch#self-care",
                               level=1, cohort_id=cohort_id))  # today: counted from tomorrow
        db.session.commit()

    auth.login(owner_login)
    page = client.get(f"/teach/classes/{cohort_id}/analysis").get_data(as_text=True)
    section = page[page.index("いまの気持ち（チェックイン）"):]
    assert re.search(r"自分の心を守る</th>\s*<td>5件</td><td>1</td><td>2</td><td>1</td><td>1</td>", section)
    assert TOO_FEW in section and ONE_LEVEL in section
    assert "受講 太郎" not in page
    auth.logout()

    auth.login(other_login)
    assert client.get(f"/teach/classes/{cohort_id}/analysis").status_code == 404
    auth.logout()

    auth.login(hr_login)
    year = fiscal_year_of(today_jst() - dt.timedelta(days=1))
    board = client.get(f"/records/?year={year}").get_data(as_text=True)
    section = board[board.index("いまの気持ち（チェックイン）"):]
    assert "窓口職員向けゲートキーパー講座" in section and TOO_FEW in section
    assert re.search(r"自分の心を守る</th>\s*<td>5件</td><td>1</td><td>2</td><td>1</td><td>1</td>", section)
    assert client.get(f"/teach/classes/{cohort_id}/analysis").status_code == 403
