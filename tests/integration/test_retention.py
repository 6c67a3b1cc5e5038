"""Retention: old trainees' personal data goes, the yearly counts stay."""
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import AuditEntry, Certificate, CheckIn, CourseCompletion, SurveyResponse, User
from training.records.dashboard import build

CONTENT = load_checked(Path(__file__).resolve().parents[2])


def test_retention_erases_old_trainees_and_keeps_counts(app, runner, create_user_factory):
    old_id, _ = create_user_factory("trainee", audience="counter_staff", display_name="古い 受講者",
                                    employee_no="000900", email="old@example.jp")
    new_id, _ = create_user_factory("trainee", audience="counter_staff", display_name="新しい 受講者")
    long_ago = dt.datetime(2019, 6, 1, 9, tzinfo=JST)
    with app.test_request_context():
        for uid in (old_id, new_id):
            simulate_learning(db.session.get(User, uid), CONTENT.course("counter-staff"), CONTENT)
        db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == old_id)).completed_at = long_ago
        db.session.get(User, old_id).created_at = long_ago
        db.session.add(CheckIn(user_id=old_id, course_id="counter-staff", place="section:core-watch#self-care", level=2))
        db.session.commit()
        before = build(2019, 350, CONTENT).trained
    dry = runner.invoke(args=["retention", "--years", "5", "--dry-run"])
    assert "1人が対象" in dry.output
    result = runner.invoke(args=["retention", "--years", "5"])
    assert result.exit_code == 0 and "1人の個人情報を削除しました" in result.output
    with app.app_context():
        old, new = db.session.get(User, old_id), db.session.get(User, new_id)
        assert (old.display_name, old.email, old.employee_no, old.active) == ("（保存期間経過により削除）", None, None, False)
        assert new.display_name == "新しい 受講者"
        assert db.session.scalar(select(Certificate.recipient_name).where(Certificate.user_id == old_id)).startswith("（保存")
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse).where(SurveyResponse.user_id == old_id)) == 0
        assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.user_id == old_id)) == 0
        assert build(2019, 350, CONTENT).trained == before == 1
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.erase")).detail["users"] == 1


def test_retention_without_a_period_does_nothing(runner):
    result = runner.invoke(args=["retention"])
    assert "何もしません" in result.output
