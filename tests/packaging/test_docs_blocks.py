"""Every YAML and JSON example of README.md and docs/ parses: an example that YAML or JSON cannot read cannot be run.

Markdown fenced blocks tagged ``yaml``, ``yml``, ``yaml+jinja`` or ``json`` (indented ones too, as inside a list
item), and reStructuredText ``code-block`` directives of those languages (the generated module reference). A block
that is not meant to be YAML or JSON carries another tag (``text``, ``ini``, ``sh``).
"""

import json
import os
import re
import textwrap

import pytest
import yaml

from ..support.endpoint import COLLECTION_ROOT

YAML_LANGUAGES = ("yaml", "yml", "yaml+jinja")
JSON_LANGUAGES = ("json",)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<language>[^\s`]*)[^`]*$")
DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\.[ \t]+(?:code-block|code|sourcecode)::[ \t]*(?P<language>\S*)[ \t]*$")
DIRECTIVE_OPTION = re.compile(r"^[ \t]*:[\w-]+:")


def doc_files():
    """README.md and every Markdown and reStructuredText file under docs/, relative to the collection root."""
    paths = ["README.md"]
    for directory, _subdirectories, names in os.walk(os.path.join(COLLECTION_ROOT, "docs")):
        paths += [os.path.relpath(os.path.join(directory, name), COLLECTION_ROOT)
                  for name in names if name.endswith((".md", ".rst"))]
    return sorted(paths)


def markdown_blocks(text):
    """(line of the block's first content line, indentation, language, content) for each fenced block; the
    fence's indentation is taken off its lines."""
    blocks, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, fence = len(opening.group("indent")), opening.group("fence")
        closing = re.compile(r"^[ \t]*%s%s*[ \t]*$" % (re.escape(fence), re.escape(fence[0])))
        start, content = index + 1, []
        while index < len(lines) and not closing.match(lines[index]):
            line = lines[index]
            content.append(line[min(indent, len(line) - len(line.lstrip())):])
            index += 1
        index += 1
        blocks.append((start, indent, opening.group("language").lower(), "\n".join(content) + "\n"))
    return blocks


def rst_blocks(text):
    """(line of the block's first content line, indentation, language, content) for each code-block directive."""
    blocks, lines = [], text.splitlines()
    for number, line in enumerate(lines):
        directive = DIRECTIVE.match(line)
        if not directive:
            continue
        indent, index = len(directive.group("indent").expandtabs()), number + 1
        while index < len(lines) and (not lines[index].strip() or DIRECTIVE_OPTION.match(lines[index])):
            index += 1
        start, content = index + 1, []
        while index < len(lines) and (not lines[index].strip()
                                      or len(lines[index].expandtabs()) - len(lines[index].expandtabs().lstrip()) > indent):
            content.append(lines[index])
            index += 1
        content = "\n".join(content).rstrip() + "\n"
        dedented = textwrap.dedent(content)
        blocks.append((start, len(content) - len(content.lstrip(" ")) - (len(dedented) - len(dedented.lstrip(" "))),
                       directive.group("language").lower(), dedented))
    return blocks


def blocks_of(path):
    with open(os.path.join(COLLECTION_ROOT, path), encoding="utf-8") as handle:
        text = handle.read()
    return rst_blocks(text) if path.endswith(".rst") else markdown_blocks(text)


def parse_error(language, content, start, indent):
    """None when ``content`` parses as ``language``; else the error, with its line and column in the file."""
    try:
        if language in YAML_LANGUAGES:
            list(yaml.safe_load_all(content))
        else:
            json.loads(content)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        explanation = "; ".join(text for text in (error.context, error.problem) if text)
        return "line %d, column %d: %s" % (start + mark.line, indent + mark.column + 1, explanation)
    except json.JSONDecodeError as error:
        return "line %d, column %d: %s" % (start + error.lineno - 1, indent + error.colno, error.msg)
    return None


def unreadable_blocks(path):
    """``path:line (language block): line L, column C: error`` for each YAML or JSON block of ``path`` that does not
    parse; ``line`` is the block's first line."""
    failures = []
    for start, indent, language, content in blocks_of(path):
        error = language in YAML_LANGUAGES + JSON_LANGUAGES and parse_error(language, content, start, indent)
        if error:
            failures.append("%s:%d (%s block): %s" % (path, start, language, error))
    return failures


@pytest.mark.parametrize("path", doc_files())
def test_docs_yaml_and_json_blocks_parse(path):
    assert unreadable_blocks(path) == []


def test_docs_blocks_are_found_wherever_they_are_written():
    """The blocks the test above reads: every kind of the guide and README, the reference's examples, a block
    indented in a list item; a test that saw no block would pass whatever the docs said."""
    languages = dict((path, set(language for _start, _indent, language, _content in blocks_of(path))) for path in doc_files())
    assert {"yaml", "json", "ini", "sh", "diff"} <= languages["docs/guide.md"]
    assert {"yaml", "json", "sh", "diff"} <= languages["README.md"]
    reference = os.path.join("docs", "reference", "ec2_security_group_egress_revoke_module.rst")
    examples = [content for _start, _indent, language, content in blocks_of(reference) if language == "yaml"]
    assert len(examples) == 1 and yaml.safe_load(examples[0])[0]["netguard.aws.ec2_security_group_egress_revoke"]
    assert any(content.startswith("ansible-runner run slice1 ") for _start, _indent, language, content
               in blocks_of("docs/guide.md") if language == "sh")


def test_docs_block_errors_name_the_file_and_the_line(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Title\n\n```yaml\nkey: value\n```\n\n- item\n\n  ```json\n  {\"a\": 1,}\n  ```\n")
    (tmp_path / "docs" / "guide.md").write_text("Text.\n\n~~~yml\n- name: a\n  cidr: [0.0.0.0/0, ::/0]\n~~~\n")
    (tmp_path / "docs" / "module.rst").write_text(".. code-block:: yaml+jinja\n\n    - name: a\n      b: [0.0.0.0/0, ::/0]\n\nText.\n")
    monkeypatch.setitem(globals(), "COLLECTION_ROOT", str(tmp_path))
    failures = [unreadable_blocks(path) for path in doc_files()]
    assert [[failure.split(": ")[0] for failure in failing] for failing in failures] == [
        ["README.md:10 (json block)"], ["docs/guide.md:4 (yml block)"], ["docs/module.rst:3 (yaml+jinja block)"]]
    assert [failure.split(": ")[1] for failing in failures for failure in failing] == [
        "line 10, column 11", "line 5, column 21", "line 4, column 22"]
