"""Test-wise trainees: bots that answer from the rendered page alone, never from the content.

A bot sees what a trainee sees: the forms of the page, each radio button, checkbox and
select with its label text, in page order. It submits whatever ``value`` attributes and
hidden fields the page holds, so it keeps working when choice ids in the HTML become display
positions or opaque tokens and when the options are shuffled. Three policies:

- ``longest``: the option with the longest label (ties: the first shown); in a checkbox
  question every option at least as long as the question's average; in a ranking the
  longest item first, in a matching the longest item to the longest option.
- ``first``: the first option shown; in a checkbox question only the first; in a ranking or
  a matching the order as shown.
- ``random``: a seeded pseudo-random pick that depends on the label text only (a hash of
  seed and text), so the figures do not move when the page shuffles; in a checkbox question
  about half the options, never none.

Lengths are counted as the cue rules count them (training.content.cues.measure).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from training.content.cues import measure

ATTEMPT = re.compile(r"/attempts/(\d+)")
CHOICE_KINDS = ("radio", "checkbox", "select")


@dataclass
class Field:
    """One form control: hidden or text input, radio button, checkbox or select."""

    kind: str
    name: str
    value: str = ""
    id: str = ""
    label: str = ""
    group: int = -1                       # the innermost fieldset, so a question's controls stay together
    options: list[tuple[str, str]] = field(default_factory=list)  # select: (value, text), placeholders dropped


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def hidden(self) -> dict[str, str]:
        return {f.name: f.value for f in self.fields if f.kind == "hidden" and f.name}

    def choices(self) -> list[Field]:
        return [f for f in self.fields if f.kind in CHOICE_KINDS and f.name]


class _PageParser(HTMLParser):
    """Collects the page's forms; label text is joined to its control (nested or ``for=``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._fieldsets: list[int] = []
        self._fieldset_count = 0
        self._label: dict | None = None           # {"for": id, "text": [...], "fields": [...]}
        self._labels_for: dict[str, str] = {}
        self._select: Field | None = None
        self._option: list | None = None          # [value, text parts]

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=attrs.get("action", ""), method=attrs.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "fieldset":
            self._fieldset_count += 1
            self._fieldsets.append(self._fieldset_count)
        elif tag == "label":
            self._label = {"for": attrs.get("for", ""), "text": [], "fields": []}
        elif tag == "input" and self._form is not None:
            kind = attrs.get("type", "text").lower()
            if kind in ("radio", "checkbox", "hidden"):
                control = Field(kind, attrs.get("name", ""), attrs.get("value", "on" if kind != "hidden" else ""),
                                attrs.get("id", ""), group=self._fieldsets[-1] if self._fieldsets else -1)
                self._form.fields.append(control)
                if self._label is not None:
                    self._label["fields"].append(control)
        elif tag == "select" and self._form is not None:
            self._select = Field("select", attrs.get("name", ""), id=attrs.get("id", ""),
                                 group=self._fieldsets[-1] if self._fieldsets else -1)
            self._form.fields.append(self._select)
            if self._label is not None:
                self._label["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), []]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()
        elif tag == "label" and self._label is not None:
            text = " ".join("".join(self._label["text"]).split())
            for control in self._label["fields"]:
                control.label = text
            if self._label["for"]:
                self._labels_for[self._label["for"]] = text
            self._label = None
        elif tag == "option" and self._option is not None:
            value, parts = self._option
            text = " ".join("".join(parts).split())
            if value is None:
                value = text          # an option without value submits its text
            if value != "":           # 「選んでください」「順番」 placeholders
                self._select.options.append((value, text))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1].append(data)
        elif self._label is not None:
            self._label["text"].append(data)

    def close(self):
        super().close()
        for form in self.forms:
            for control in form.fields:
                if not control.label and control.id in self._labels_for:
                    control.label = self._labels_for[control.id]


def parse_forms(html: str) -> list[Form]:
    """Every form of the page with its controls."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.forms


class Policy:
    """How a test-wise trainee picks: one of several, some of several, an order."""

    name = ""

    def pick(self, texts: list[str]) -> int:
        raise NotImplementedError

    def pick_some(self, texts: list[str]) -> list[int]:
        raise NotImplementedError

    def rank(self, texts: list[str]) -> list[int]:
        """Indexes of ``texts`` from first place to last."""
        raise NotImplementedError


class Longest(Policy):
    name = "longest"

    def pick(self, texts):
        lengths = [measure(t) for t in texts]
        return lengths.index(max(lengths))

    def pick_some(self, texts):
        lengths = [measure(t) for t in texts]
        mean = sum(lengths) / len(lengths)
        return [i for i, n in enumerate(lengths) if n >= mean]

    def rank(self, texts):
        return sorted(range(len(texts)), key=lambda i: -measure(texts[i]))


class LengthRank(Policy):
    """The option at one length rank: ``place`` 2 is the second longest, -1 the shortest, -2 the
    second shortest (clipped to the options there are). A trainee who learned that the right
    answer is "never the longest" picks the second longest; best-rank rules that out."""

    def __init__(self, place: int):
        self.place = place
        self.name = f"rank{place}" if place > 0 else ("shortest" if place == -1 else f"short{-place}")

    def _order(self, texts):
        return sorted(range(len(texts)), key=lambda i: -measure(texts[i]) if self.place > 0 else measure(texts[i]))

    def pick(self, texts):
        order = self._order(texts)
        return order[min(abs(self.place), len(order)) - 1]

    def pick_some(self, texts):
        return [self.pick(texts)]

    def rank(self, texts):
        return self._order(texts)


class Echo(Policy):
    """The option that sounds most like the lessons: the largest share of its character pairs
    found in ``corpus`` (the text of the modules the trainee reads). A trainee who skims a
    lesson and picks the familiar wording; a key copied from the module while the wrong
    choices are not is a cue it finds."""

    name = "echo"

    def __init__(self, corpus: str):
        self.pairs = _pairs(corpus)

    def _score(self, text: str) -> float:
        pairs = _pairs(text)
        return len(pairs & self.pairs) / len(pairs) if pairs else 0.0

    def pick(self, texts):
        scores = [self._score(t) for t in texts]
        return scores.index(max(scores))

    def pick_some(self, texts):
        scores = [self._score(t) for t in texts]
        mean = sum(scores) / len(scores)
        return [i for i, n in enumerate(scores) if n >= mean]

    def rank(self, texts):
        return sorted(range(len(texts)), key=lambda i: -self._score(texts[i]))


_NOT_WORDS = re.compile(r"[\s「」『』、。，．！？!?…・（）()：:，]")


def _pairs(text: str) -> set[str]:
    text = _NOT_WORDS.sub("", text)
    return {text[i:i + 2] for i in range(len(text) - 1)}


#: Words that sound caring (the cue issue 14 names besides length and position).
WARM_WORDS = ("ありがとう", "一緒に", "つらい", "つらかった", "心配", "聞かせ", "よかったら", "よければ",
              "話して", "気持ち", "そばに", "ゆっくり", "大変", "しんどい", "ごめん", "無理しない")


class Warm(Policy):
    """The option with the most caring words (WARM_WORDS); ties: the first shown. A right answer
    that is the only warm one is found without knowing why it is right."""

    name = "warm"

    @staticmethod
    def _score(text: str) -> int:
        return sum(text.count(word) for word in WARM_WORDS)

    def pick(self, texts):
        scores = [self._score(t) for t in texts]
        return scores.index(max(scores))

    def pick_some(self, texts):
        return [i for i, t in enumerate(texts) if self._score(t)] or [0]

    def rank(self, texts):
        return sorted(range(len(texts)), key=lambda i: -self._score(texts[i]))


class First(Policy):
    name = "first"

    def pick(self, texts):
        return 0

    def pick_some(self, texts):
        return [0]

    def rank(self, texts):
        return list(range(len(texts)))


class Seeded(Policy):
    """Pseudo-random by label text, so the same options get the same picks in any order."""

    name = "random"

    def __init__(self, seed: int):
        self.seed = seed

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.seed}:{text}".encode()).digest()

    def pick(self, texts):
        return min(range(len(texts)), key=lambda i: self._key(texts[i]))

    def pick_some(self, texts):
        some = [i for i, t in enumerate(texts) if self._key(t)[0] < 128]
        return some or [self.pick(texts)]

    def rank(self, texts):
        return sorted(range(len(texts)), key=lambda i: self._key(texts[i]))


def answer(form: Form, policy: Policy) -> dict[str, str | list[str]]:
    """The form's hidden fields plus the policy's answer to every question on it."""
    data: dict[str, str | list[str]] = dict(form.hidden())
    groups: dict[tuple, list[Field]] = {}
    for control in form.choices():
        key = (control.group, control.name) if control.kind != "select" else (control.group, "select")
        groups.setdefault(key, []).append(control)
    for (_group, _name), controls in groups.items():
        kind = controls[0].kind
        if kind == "radio":
            data[controls[0].name] = controls[policy.pick([c.label for c in controls])].value
        elif kind == "checkbox":
            data[controls[0].name] = [controls[i].value for i in policy.pick_some([c.label for c in controls])]
        else:
            data.update(_selects(controls, policy))
    return data


def _selects(selects: list[Field], policy: Policy) -> dict[str, str]:
    """Selects that share one set of options, as many as there are selects (a ranking, or a
    matching used once each), get distinct options: the policy's order of the items paired
    with its order of the options (longest item to longest option; as shown; by hash).
    Otherwise each select picks among its own options."""
    values = [tuple(v for v, _ in s.options) for s in selects]
    if len(selects) > 1 and len(set(values)) == 1 and len(values[0]) == len(selects):
        items = policy.rank([s.label for s in selects])
        options = policy.rank([t for _, t in selects[0].options])
        return {selects[item].name: selects[0].options[option][0] for item, option in zip(items, options)}
    return {s.name: s.options[policy.pick([t for _, t in s.options])][0] for s in selects if s.options}


def _attempt_id(response) -> int | None:
    match = ATTEMPT.search(response.headers.get("Location", "")) if response.status_code in (302, 303) else None
    return int(match.group(1)) if match else None


def take_quiz(client, url: str, policy: Policy) -> int:
    """Answer the quiz at ``url`` once; the id of the attempt it recorded."""
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, (url, page.status_code)
    form = next((f for f in parse_forms(html) if f.method == "post" and f.choices()), None)
    assert form is not None, f"no question form on {url}"
    response = client.post(form.action or url, data=answer(form, policy))
    attempt = _attempt_id(response)
    assert attempt is not None, (url, response.status_code, response.get_data(as_text=True)[:2000])
    return attempt


def play_scenario(client, url: str, policy: Policy, max_pages: int = 200) -> int:
    """Play the scenario at ``url`` from its start to an ending without retrying a moment;
    the id of the attempt it recorded."""
    for _ in range(max_pages):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        forms = [f for f in parse_forms(page.get_data(as_text=True)) if f.method == "post"]
        choose = next((f for f in forms if f.choices()), None)
        go_on = next((f for f in forms if f.action.endswith("/next")), None)
        start = next((f for f in forms if f.action.endswith("/start") and "restart" not in f.hidden()), None)
        form = choose or go_on or start
        assert form is not None, f"nothing to do on {url}"
        response = client.post(form.action, data=answer(form, policy))
        attempt = _attempt_id(response)
        if attempt is not None:
            return attempt
        assert response.status_code in (302, 303), (form.action, response.status_code)
    raise AssertionError(f"no ending after {max_pages} pages: {url}")

