"""A test learner who walks a course through the real pages (test client), as a person would.

It reads the content for the right answers, the way a diligent trainee who read the lesson
would answer; every step goes through the forms, with CSRF tokens and submission tokens.
"""
from __future__ import annotations

import re

from training.content.model import Content, Quiz, Scenario

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SUBMISSION = re.compile(r'name="token" value="([^"]+)"')
STEP = re.compile(r'name="step" value="(\d+)"')


def csrf(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def quiz_form(quiz: Quiz, *, correct: bool = True) -> dict:
    """Form fields answering every question (right, or wrong where possible)."""
    data: dict = {}
    for q in quiz.questions:
        name = f"q-{q.id}"
        if q.kind == "single":
            wrong = next(c.id for c in q.choices if c.id != q.answer)
            data[name] = q.answer if correct else wrong
        elif q.kind == "multiple":
            data[name] = list(q.answer) if correct else [c.id for c in q.choices]
            if not correct and set(data[name]) == set(q.answer):
                data[name] = [q.choices[0].id] if q.choices[0].id not in q.answer else [
                    c.id for c in q.choices if c.id not in q.answer][:1]
        elif q.kind == "ordering":
            order = list(q.answer) if correct else list(reversed(q.answer))
            for rank, cid in enumerate(order, start=1):
                data[f"{name}-{cid}"] = str(rank)
        else:
            mapping = q.answer_map
            options = [o.id for o in q.options]
            for item in q.items:
                right = mapping[item.id]
                data[f"{name}-{item.id}"] = right if correct else next(o for o in options if o != right)
    return data


def survey_form(content: Content, *, post: bool, distress: str | None = None) -> dict:
    data = {f"eff-{i.id}": "4" for i in content.survey.efficacy}
    data.update({f"kn-{i.id}": "true" if i.answer else "false" for i in content.survey.knowledge})
    if post:
        data["distress"] = distress or content.survey.distress_options[0].id
    return data


class Learner:
    def __init__(self, client, content: Content, course_id: str):
        self.client = client
        self.content = content
        self.course = content.course(course_id)
        self.base = f"/learn/{course_id}"

    def post(self, path: str, data: dict | None = None, page: str | None = None):
        html = self.client.get(page or path).get_data(as_text=True)
        return self.client.post(path, data={**(data or {}), "csrf_token": csrf(html)})

    def pre_survey(self):
        return self.post(f"{self.base}/survey/pre", survey_form(self.content, post=False))

    def read_module(self, module_id: str):
        module = self.content.module(module_id)
        for section in module.sections_for(self.course.audience):
            page = f"{self.base}/m/{module_id}/s/{section.id}"
            assert self.client.get(page).status_code == 200
            response = self.post(f"{page}/next", page=page)
            assert response.status_code == 302

    def take_quiz(self, module_id: str, *, correct: bool = True):
        page = f"{self.base}/m/{module_id}/quiz"
        html = self.client.get(page).get_data(as_text=True)
        quiz = self.content.quiz(self.content.module(module_id).quiz)
        data = {**quiz_form(quiz, correct=correct), "csrf_token": csrf(html),
                "token": SUBMISSION.search(html).group(1), "version": quiz.version}
        return self.client.post(page, data=data), data

    def play_best(self, scenario_id: str):
        """Choose the best option at every moment until the ending."""
        scenario: Scenario = self.content.quiz(scenario_id)
        page = f"{self.base}/scenarios/{scenario_id}"
        self.post(f"{page}/start", page=page)
        node = scenario.node(scenario.start)
        while not node.ending:
            html = self.client.get(page).get_data(as_text=True)
            best = max(node.choices, key=lambda c: c.score)
            step = STEP.search(html).group(1)
            self.client.post(f"{page}/choose", data={"csrf_token": csrf(html), "node": node.id,
                                                    "choice": best.id, "step": step})
            html = self.client.get(page).get_data(as_text=True)
            assert best.reaction in html and best.feedback in html
            response = self.client.post(f"{page}/next", data={"csrf_token": csrf(html),
                                                              "step": STEP.search(html).group(1)})
            node = scenario.node(best.next)
        return response

    def complete(self):
        """The whole course, start to finish."""
        assert self.pre_survey().status_code == 302
        for module_id in self.course.modules:
            self.read_module(module_id)
            response, _ = self.take_quiz(module_id)
            assert response.status_code == 302
        for scenario_id in self.course.scenarios:
            assert self.play_best(scenario_id).status_code == 302
        return self.post(f"{self.base}/survey/post", survey_form(self.content, post=True))
