"""The tiny condition language of scenario state: ``trust <= 1``, ``trust >= 2 and calm == 1``.

A condition is one or more comparisons ``variable operator integer`` joined by ``and`` or by
``or`` (not both in one condition, so no precedence to remember). It is parsed into data and
evaluated by comparing integers; nothing is ever passed to ``eval``.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Mapping

OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq, "!=": operator.ne}
JOINERS = ("and", "or")
#: Variable names: what content authors may declare under ``state:``.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_LENGTH = 200
MAX_COMPARISONS = 4
_TOKEN = re.compile(r"\s*(?:(?P<op><=|>=|==|!=|<|>)|(?P<int>-?\d{1,4}(?![0-9]))|(?P<word>[A-Za-z_][A-Za-z0-9_]*))")


class ConditionError(ValueError):
    """A condition that cannot be read; the message says why, in Japanese."""


@dataclass(frozen=True)
class Comparison:
    name: str
    op: str
    value: int

    def holds(self, values: Mapping[str, int]) -> bool:
        current = values.get(self.name)
        return current is not None and OPERATORS[self.op](current, self.value)


@dataclass(frozen=True)
class Condition:
    """A parsed condition: comparisons all joined by ``joiner`` (and / or)."""

    text: str
    joiner: str
    parts: tuple[Comparison, ...]

    def holds(self, values: Mapping[str, int]) -> bool:
        results = (part.holds(values) for part in self.parts)
        return all(results) if self.joiner == "and" else any(results)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part.name for part in self.parts))


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            raise ConditionError(f"読めない文字があります: {text[position:].strip()[:10]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_condition(text) -> Condition:
    """Parse ``text``; raise ConditionError with a Japanese message when it is not a condition."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("条件を「trust <= 1」の形で書いてください")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"条件が長すぎます（{MAX_LENGTH} 文字まで）")
    tokens = _tokens(text)
    parts, joiners = [], set()
    index = 0
    while True:
        chunk = tokens[index:index + 3]
        kinds = [kind for kind, _value in chunk]
        if kinds != ["word", "op", "int"] or chunk[0][1] in JOINERS:
            raise ConditionError("条件は「変数 比較 整数」（例: trust <= 1）を and / or でつないで書いてください")
        name, op, value = chunk[0][1], chunk[1][1], int(chunk[2][1])
        parts.append(Comparison(name, op, value))
        index += 3
        if index == len(tokens):
            break
        kind, word = tokens[index]
        if kind != "word" or word not in JOINERS:
            raise ConditionError(f"比較のあとは and か or でつないでください: {word!r}")
        joiners.add(word)
        index += 1
    if len(joiners) > 1:
        raise ConditionError("and と or を1つの条件で混ぜないでください（分けて書けます）")
    if len(parts) > MAX_COMPARISONS:
        raise ConditionError(f"比較は {MAX_COMPARISONS} 個までです")
    return Condition(text=text.strip(), joiner=joiners.pop() if joiners else "and", parts=tuple(parts))
