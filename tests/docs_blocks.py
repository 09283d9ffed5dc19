"""The command blocks of README.md and docs/*.md, with the tag that says which test runs each (docs are code).

A fenced block whose language is a command language carries, on the line before its fence, one tag:

    <!-- docs-test: run -->            tests/test_docs.py runs it against a demo's data folder
    <!-- docs-test: setup -->          run first in the shell of every later bash block of the same file
    <!-- docs-test: background -->     started, and left running while the later blocks of the file run
    <!-- docs-test: by tests/x.py -->  that test runs it (and names the file it reads it from)
    <!-- docs-test: not run: why -->   it cannot run here, and the reason says why

A value the reader fills in is written <like_this> or set in a setup block; the test that runs the block says
what it fills in.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = (REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md")))
COMMAND_LANGUAGES = {"bash", "sh", "shell", "console", "sql", "python"}
TAG = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->")
FENCE = re.compile(r"^(\s*)```(\S*)")


@dataclass(frozen=True)
class DocBlock:
    doc: Path
    line: int  # the opening fence's line, from 1
    language: str
    tag: str  # the tag's text ("run", "by tests/...", "not run: ..."), "" when missing
    text: str  # the block's content, its indentation removed

    def __str__(self) -> str:
        return f"{self.doc.relative_to(REPO_ROOT)}:{self.line}"


def doc_blocks(doc: Path) -> list[DocBlock]:
    """Every fenced block of `doc`, in order."""
    lines = doc.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, language = opening.groups()
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        tag = TAG.search(before)
        body = textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n"
        blocks.append(DocBlock(doc, i + 1, language, tag.group(1) if tag else "", body))
        i = end + 1
    return blocks


def command_blocks() -> list[DocBlock]:
    return [b for doc in DOCS for b in doc_blocks(doc) if b.language in COMMAND_LANGUAGES]


def tagged(doc: str, tag: str, containing: str = "") -> DocBlock:
    """The one block of `doc` (a path from the repository's root) with `tag` that contains `containing`."""
    found = [b for b in doc_blocks(REPO_ROOT / doc) if b.tag == tag and containing in b.text]
    assert len(found) == 1, f"{doc}: {len(found)} blocks tagged {tag!r} containing {containing!r}"
    return found[0]
