"""Module files: YAML front matter, then one section per ``## Title {#id}`` heading.

A heading may carry attributes after its id: ``audiences=a,b`` (the section is read only in
those audiences' courses) and ``checkin`` (the check-in 「いまの気持ちは？」 follows the section)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*\{#(?P<id>[^\s}]+)(?P<attrs>[^}]*)\}\s*$")
#: The one attribute without a value: a check-in after the section.
CHECKIN = "checkin"

# CommonMark without raw HTML: content authors cannot inject markup or scripts.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render(text: str) -> str:
    """Markdown to HTML (raw HTML in the source is escaped, not passed through)."""
    return _renderer.render(text)


@dataclass
class RawSection:
    id: str
    title: str
    audiences: list[str]
    text: str
    line: int          # line of the heading
    body_line: int     # first line of the body
    checkin: bool = False


def heading_attributes(attrs: str) -> tuple[list[str], bool, list[str]]:
    """(audiences, checkin, problems) of the attributes after a heading's id."""
    audiences: list[str] = []
    checkin, problems = False, []
    tokens = attrs.split()
    for index, token in enumerate(tokens):
        if token.startswith("audiences="):
            audiences += [a.strip() for a in token[len("audiences="):].split(",") if a.strip()]
        elif token == CHECKIN:
            if checkin:
                problems.append("checkin が2回書かれています")
            checkin = True
        elif token.startswith(CHECKIN + "="):
            problems.append("checkin には値を付けません: 「{#section-id checkin}」のように書いてください")
        elif index > 0 and tokens[index - 1].endswith(",") and tokens[index - 1].startswith("audiences="):
            audiences += [a.strip() for a in token.split(",") if a.strip()]  # "audiences=a, b"
        else:
            problems.append(f"見出しの属性を読み取れません: {token!r}（使えるのは audiences=… と checkin です）")
    return audiences, checkin, problems


@dataclass
class RawModuleFile:
    front_matter: str
    front_matter_offset: int   # lines before the YAML starts (the opening ---)
    sections: list[RawSection]
    problems: list[tuple[int, str]]   # (line, message) about the Markdown structure


def split_module(text: str) -> RawModuleFile:
    """Split a module file into its front matter and sections, noting structural problems."""
    lines = text.split("\n")
    problems: list[tuple[int, str]] = []
    if not lines or lines[0].strip() != "---":
        return RawModuleFile("", 0, [], [(1, "ファイルの先頭に --- で始まる前付け（YAML）が必要です")])
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return RawModuleFile("", 0, [], [(1, "前付けを閉じる --- がありません")])
    front = "\n".join(lines[1:end])
    sections: list[RawSection] = []
    current: RawSection | None = None
    body: list[str] = []
    for index in range(end + 1, len(lines)):
        number = index + 1
        line = lines[index]
        if line.startswith("## "):
            if current:
                current.text = "\n".join(body).strip("\n")
                sections.append(current)
            body = []
            match = HEADING.match(line)
            if not match:
                problems.append((number, "節の見出しには id が必要です: 「## 見出し {#section-id}」"))
                current = RawSection("", line[3:].strip(), [], "", number, number + 1)
                continue
            audiences, checkin, attr_problems = heading_attributes(match.group("attrs"))
            problems += [(number, message) for message in attr_problems]
            current = RawSection(match.group("id"), match.group("title"), audiences, "", number, number + 1, checkin)
        elif current is None:
            if line.strip():
                problems.append((number, "最初の「## 見出し」より前に本文があります"))
        else:
            body.append(line)
    if current:
        current.text = "\n".join(body).strip("\n")
        sections.append(current)
    return RawModuleFile(front, 1, sections, problems)
