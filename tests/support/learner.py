"""A test learner who walks a course through the real pages (test client), as a person would.

It reads the content for the right answers, the way a diligent trainee who read the lesson
would answer; every step goes through the forms, with CSRF tokens and submission tokens.
"""
from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

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


class QuizPage(HTMLParser):
    """The quiz form as the page shows it. Its values are display positions, not choice ids, so
    a learner finds each option the way a person does: by its text. Collects every radio and
    checkbox as (name, value, label text) and every select as its name, the text of its label
    and its options as (value, text)."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: list[tuple[str, str, str]] = []
        self.selects: dict[str, dict] = {}      # id -> {"name": …, "options": [(value, text)]}
        self.label_for: dict[str, str] = {}     # a select's id -> its label's text
        self.questions: list[str] = []          # question ids, in the order shown
        self._label: dict | None = None
        self._select: str | None = None
        self._option: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "fieldset" and (a.get("id") or "").startswith("q-"):
            self.questions.append(a["id"][2:])
        elif tag == "label":
            self._label = {"for": a.get("for"), "text": "", "input": None}
        elif tag == "input" and a.get("type") in ("radio", "checkbox"):
            entry = [a["name"], a["value"], ""]
            self.inputs.append(entry)
            if self._label is not None:
                self._label["input"] = entry
        elif tag == "select":
            self._select = a.get("id")
            self.selects[self._select] = {"name": a["name"], "options": []}
        elif tag == "option" and self._select:
            self._option = [a.get("value", ""), ""]

    def handle_data(self, data):
        if self._label is not None:
            self._label["text"] += data
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            text = self._label["text"].strip()
            if self._label["input"] is not None:
                self._label["input"][2] = text
            elif self._label["for"]:
                self.label_for[self._label["for"]] = text
            self._label = None
        elif tag == "option" and self._option is not None:
            self.selects[self._select]["options"].append((self._option[0], self._option[1].strip()))
            self._option = None
        elif tag == "select":
            self._select = None

    def value(self, name: str, text: str) -> str:
        """The value of the radio or checkbox ``name`` labelled ``text``."""
        found = [value for n, value, label in self.inputs if n == name and label == text]
        assert len(found) == 1, f"no single option {text!r} for {name}"
        return found[0]

    def select(self, prefix: str, label: str) -> tuple[str, dict]:
        """(field name, select) of the select under ``prefix`` labelled ``label``."""
        found = [(s["name"], s) for sid, s in self.selects.items()
                 if s["name"].startswith(prefix + "-") and self.label_for.get(sid) == label]
        assert len(found) == 1, f"no single select labelled {label!r} in {prefix}"
        return found[0]


def quiz_form(quiz: Quiz, html: str, *, correct: bool = True) -> dict:
    """Form fields answering every question the page shows (right, or wrong where possible).

    The answers come from the content, by choice id; the page's shuffled positions are found
    by each option's text."""
    page = QuizPage(html)
    data: dict = {}
    for q in (quiz.question(i) for i in page.questions):
        name = f"q-{q.id}"
        text = {c.id: c.text for c in q.choices}
        if q.kind == "single":
            wrong = next(c.id for c in q.choices if c.id != q.answer)
            data[name] = page.value(name, text[q.answer if correct else wrong])
        elif q.kind == "multiple":
            ids = list(q.answer) if correct else [c.id for c in q.choices]
            if not correct and set(ids) == set(q.answer):
                ids = [q.choices[0].id] if q.choices[0].id not in q.answer else [
                    c.id for c in q.choices if c.id not in q.answer][:1]
            data[name] = [page.value(name, text[cid]) for cid in ids]
        elif q.kind == "ordering":
            order = list(q.answer) if correct else list(reversed(q.answer))
            for rank, cid in enumerate(order, start=1):
                data[page.select(name, text[cid])[0]] = str(rank)
        else:
            mapping = q.answer_map
            options = {o.id: o.text for o in q.options}
            for item in q.items:
                right = mapping[item.id]
                chosen = right if correct else next(o for o in options if o != right)
                field, select = page.select(name, item.text)
                data[field] = next(v for v, t in select["options"] if t == options[chosen])
    return data


def survey_form(content: Content, *, post: bool, distress: str | None = None, audience: str | None = None) -> dict:
    """Every item answered: the items of ``audience``, or of every audience when None (the page
    reads only its course's items and ignores the others)."""
    survey = content.survey.for_audience(audience) if audience else content.survey
    data = {f"eff-{i.id}": "4" for i in survey.efficacy}
    data.update({f"kn-{i.id}": "true" if i.answer else "false" for i in survey.knowledge})
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
        return self.post(f"{self.base}/survey/pre", survey_form(self.content, post=False, audience=self.course.audience))

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
        data = {**quiz_form(quiz, html, correct=correct), "csrf_token": csrf(html),
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
        return self.post(f"{self.base}/survey/post", survey_form(self.content, post=True, audience=self.course.audience))
