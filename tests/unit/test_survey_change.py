"""The survey change compares like with like: per item, the same people before and after."""
from training.content.model import Survey, SurveyItem
from training.learn.survey_change import paired_change

SURVEY = Survey(scale=("1", "2", "3", "4", "5"),
                efficacy=(SurveyItem("e1", "一"), SurveyItem("e2", "二")),
                knowledge=(SurveyItem("k1", "知", answer=False),),
                distress_id="d", distress_text="", distress_options=())


def test_each_item_is_compared_on_the_people_who_answered_it_twice():
    pairs = [
        ({"efficacy": {"e1": 2, "e2": 1}, "knowledge": {"k1": "true"}},
         {"efficacy": {"e1": 4, "e2": 3}, "knowledge": {"k1": "false"}}),
        # e2 only after, e1 only before: this person counts for neither.
        ({"efficacy": {"e1": 1}, "knowledge": {"k1": "unknown"}},
         {"efficacy": {"e2": 5}, "knowledge": {"k1": "false"}}),
    ]
    e1, e2, k1 = paired_change(pairs, SURVEY)
    assert (e1.n, e1.pre, e1.post, e1.change) == (1, 2.0, 4.0, 2.0)
    assert (e2.n, e2.pre, e2.post, e2.change) == (1, 1.0, 3.0, 2.0)
    assert (k1.kind, k1.n, k1.pre, k1.post, k1.change) == ("knowledge", 2, 0.0, 100.0, 100.0)


def test_items_of_other_audiences_in_the_answers_are_never_reported():
    pairs = [({"efficacy": {"other": 1}}, {"efficacy": {"other": 5}})]
    changes = paired_change(pairs, SURVEY)
    assert [c.item.id for c in changes] == ["e1", "e2", "k1"]
    assert all(c.n == 0 and c.pre is None and c.post is None and c.change is None for c in changes)


def test_for_audience_keeps_the_items_for_everyone_and_the_audience_s_own():
    survey = Survey(scale=SURVEY.scale, efficacy=(SurveyItem("all", "全員"), SurveyItem("hs", "高校", audiences=("high_school",))),
                    knowledge=(SurveyItem("ad", "大人", answer=True, audiences=("teachers", "residents")),),
                    distress_id="d", distress_text="", distress_options=())
    assert [i.id for i in survey.for_audience("high_school").efficacy] == ["all", "hs"]
    assert survey.for_audience("high_school").knowledge == ()
    assert [i.id for i in survey.for_audience("teachers").efficacy + survey.for_audience("teachers").knowledge] == ["all", "ad"]
