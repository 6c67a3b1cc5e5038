"""A test learner who walks a course through the real pages (test client), as a person would.

It reads the content for the right answers, the way a diligent trainee who read the lesson
would answer; every step goes through the forms, with CSRF tokens and submission tokens.
"""
from __future__ import annotations

import html as html_lib
import re

from training.content.model import Content, Node, Quiz, Scenario, ScenarioChoice

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SUBMISSION = re.compile(r'name="token" value="([^"]+)"')
STEP = re.compile(r'name="step" value="(\d+)"')
NODE = re.compile(r'name="node" value="([^"]+)"')
RUN = re.compile(r'name="run" value="([^"]+)"')
#: One radio per scenario option: its posted value (a position) and its label text.
SCENARIO_OPTION = re.compile(r'<input type="radio" name="choice" value="([^"]+)"[^>]*>\s*(.*?)</label>', re.S)


def scenario_options(html: str) -> list[tuple[str, str]]:
    """(value, label text) of each option of the scenario moment on the page, in shown order."""
    return [(value, html_lib.unescape(text).strip()) for value, text in SCENARIO_OPTION.findall(html)]


def scenario_choice_form(html: str, choice: ScenarioChoice) -> dict:
    """The form fields that say ``choice`` at the moment on the page, found by its label text
    (the page posts a position in the run's own order, never the choice id)."""
    value = next((v for v, text in scenario_options(html) if text == choice.text), None)
    assert value is not None, f"option not on the page: {choice.text}"
    return {"csrf_token": csrf(html), "node": NODE.search(html).group(1), "step": STEP.search(html).group(1),
            "run": RUN.search(html).group(1), "choice": value}


def scenario_node(scenario: Scenario, html: str) -> Node:
    """The decision the page shows (its next node may depend on the run's state)."""
    return scenario.node(NODE.search(html).group(1))


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
        while True:
            html = self.client.get(page).get_data(as_text=True)
            node = scenario_node(scenario, html)
            best = max(node.choices, key=lambda c: c.score)
            self.client.post(f"{page}/choose", data=scenario_choice_form(html, best))
            html = self.client.get(page).get_data(as_text=True)
            assert best.feedback in html
            response = self.client.post(f"{page}/next", data={"csrf_token": csrf(html),
                                                              "step": STEP.search(html).group(1)})
            if response.headers["Location"].endswith(page):
                continue  # another moment
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
