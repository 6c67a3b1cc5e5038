"""Module files: YAML front matter, then one section per ``## Title {#id}`` heading."""
from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*\{#(?P<id>[^\s}]+)(?:\s+audiences=(?P<aud>[^}]*))?\}\s*$")

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
            audiences = [a.strip() for a in (match.group("aud") or "").split(",") if a.strip()]
            current = RawSection(match.group("id"), match.group("title"), audiences, "", number, number + 1)
        elif current is None:
            if line.strip():
                problems.append((number, "最初の「## 見出し」より前に本文があります"))
        else:
            body.append(line)
    if current:
        current.text = "\n".join(body).strip("\n")
        sections.append(current)
    return RawModuleFile(front, 1, sections, problems)
