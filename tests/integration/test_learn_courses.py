"""Each of the five courses, from sign-in to completion, through the test client."""
import pytest
from sqlalchemy import func, select

from training.content import load_checked
from training.extensions import db
from training.models import CourseCompletion, ModuleCompletion, QuizAttempt, SectionView, SurveyResponse
from tests.support.learner import Learner

CONTENT = load_checked(__import__("pathlib").Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("course", CONTENT.courses, ids=lambda c: c.id)
def test_course_start_to_completion(app, client, login_as, course):
    user_id, _ = login_as("trainee", audience=course.audience)
    home = client.get("/").get_data(as_text=True)
    assert course.title in home and "学習をはじめる" in home
    learner = Learner(client, CONTENT, course.id)
    response = learner.complete()
    assert response.status_code == 200
    assert "修了しました" in response.get_data(as_text=True)
    with app.app_context():
        completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == user_id))
        assert completion.course_id == course.id
        assert completion.content_version == course.version
        assert completion.score == 100
        modules = db.session.scalar(select(func.count()).select_from(ModuleCompletion)
                                    .where(ModuleCompletion.user_id == user_id))
        assert modules == len(course.modules)
        views = db.session.scalar(select(func.count()).select_from(SectionView).where(SectionView.user_id == user_id))
        assert views == sum(len(CONTENT.module(m).sections_for(course.audience)) for m in course.modules)
        phases = set(db.session.scalars(select(SurveyResponse.phase).where(SurveyResponse.user_id == user_id)))
        assert phases == {"pre", "post"}
        scenarios = db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user_id,
                                                                 QuizAttempt.kind == "scenario")).all()
        assert {a.quiz_id for a in scenarios} == set(course.scenarios)
        assert all(a.score == a.max_score for a in scenarios)
    page = client.get(f"/learn/{course.id}").get_data(as_text=True)
    assert "修了しました" in page
    progress = client.get(f"/learn/{course.id}/progress").get_data(as_text=True)
    assert progress.count("修了") >= len(course.modules)
