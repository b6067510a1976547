"""The Chinese edition stays whole and in step with the English (issue 19).

The package's messages: every one marked in the code has a Chinese translation with the same
fields, and the compiled catalog is the one the .po gives.  The lessons: every English lesson
has its Chinese one, each Chinese Markdown cell translates the English cell as it is now, and
each Chinese code cell is its English cell but for comments.
"""

import ast
import importlib.util
import json
import re
import sys
import warnings
from pathlib import Path

import pytest

from wdfkit import language
from wdfkit.language import UntranslatedWarning, _, in_language, use_language

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


catalog = _tool("catalog")
zh_notebooks = _tool("zh_notebooks")


def test_every_marked_message_has_a_chinese_translation_with_the_same_fields():
    extracted = {message.id for message in catalog.extracted() if message.id}
    template = {message.id for message in catalog.read(catalog.TEMPLATE) if message.id}
    assert extracted == template, (
        "wdfkit/locale/wdfkit.pot is not what the code marks: run "
        f"`python tools/catalog.py extract update` (new: {sorted(extracted - template)[:5]}, "
        f"gone: {sorted(template - extracted)[:5]})"
    )
    problems = catalog.problems("zh_CN")
    assert not problems, "\n".join(problems[:20])


def test_the_compiled_catalog_is_the_one_its_po_gives():
    po = catalog.po_path("zh_CN")
    assert po.with_suffix(".mo").read_bytes() == catalog.compiled(catalog.read(po, "zh_CN")), (
        "wdfkit.mo is out of date: run `python tools/catalog.py compile`"
    )


def _binds_underscore(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.arg) and node.arg == "_":
            lines.append(node.lineno)
    return lines


def test_no_module_that_translates_binds_the_name_underscore():
    """``for _ in …`` in a function that also calls ``_()`` makes ``_`` a local there: the
    call then fails, but only on the path that reaches it."""
    found = []
    for path in sorted((ROOT / "wdfkit").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = any(
            isinstance(node, ast.ImportFrom)
            and (node.module or "").endswith("language")
            and any(alias.name == "_" for alias in node.names)
            for node in ast.walk(tree)
        )
        if imports:
            found += [f"{path.relative_to(ROOT)}:{line}" for line in _binds_underscore(tree)]
    assert not found, f"these bind _ in a module that translates with _(): {found}"


def test_language_setting_and_its_bad_input():
    assert language.current() == "en"
    with in_language("zh_CN"):
        assert language.current() == "zh_CN"
        assert _("Correct: {shown}.") == "正确：{shown}。"
    assert language.current() == "en"
    assert _("Correct: {shown}.") == "Correct: {shown}."
    with pytest.raises(ValueError, match="use_language: code must be one of 'en', 'zh_CN'"):
        use_language("zh-TW")
    with pytest.raises(TypeError, match="use_language: code must be a str"):
        use_language(None)
    assert language.current() == "en"


def test_a_message_without_translation_is_shown_in_english_with_a_warning():
    with in_language("zh_CN"), pytest.warns(UntranslatedWarning, match="no 简体中文 translation"):
        assert _("A sentence no catalog has.") == "A sentence no catalog has."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _("A sentence no catalog has.") == "A sentence no catalog has."  # English: none


ENGLISH_LESSONS = zh_notebooks.english_lessons()


def _prose(markdown: str) -> str:
    """*markdown* without its code blocks, code spans and link targets."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def test_every_english_lesson_has_its_chinese_lesson_and_no_chinese_lesson_is_alone():
    chinese = sorted(path.name for path in zh_notebooks.CHINESE.glob("*.ipynb"))
    assert chinese == [path.name for path in ENGLISH_LESSONS]


@pytest.mark.parametrize("english", ENGLISH_LESSONS, ids=lambda path: path.stem)
def test_the_chinese_lesson_is_in_step_with_the_english(english):
    problems = zh_notebooks.out_of_step(english)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("english", ENGLISH_LESSONS, ids=lambda path: path.stem)
def test_the_chinese_lesson_chooses_its_language_once_before_any_other_code(english):
    cells = json.loads(zh_notebooks.chinese_for(english).read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code[0]["id"] == zh_notebooks.LANGUAGE_CELL_ID
    assert zh_notebooks.source(code[0]) == zh_notebooks.LANGUAGE_CELL
    assert sum("use_language" in zh_notebooks.source(cell) for cell in code) == 1


@pytest.mark.parametrize("english", ENGLISH_LESSONS, ids=lambda path: path.stem)
def test_the_chinese_lesson_reads_in_chinese_and_its_outputs_miss_no_translation(english):
    cells = json.loads(zh_notebooks.chinese_for(english).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        text = zh_notebooks.source(cell)
        if cell["cell_type"] == "markdown" and re.search(r"[A-Za-z]{3,} [a-z]{2,}", _prose(text)):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (
                f"{english.name}: Markdown cell {cell['id']} has no Chinese in it"
            )
        for output in cell.get("outputs", []):
            shown = json.dumps(output, ensure_ascii=False)
            assert "UntranslatedWarning" not in shown, f"{english.name} cell {cell['id']}"


def _pair_in(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A copy of lesson 07 in both languages, in *tmp_path*, where the tool looks."""
    english = tmp_path / "notebooks"
    (english / "zh-CN").mkdir(parents=True)
    name = "07_scenario1_complete.ipynb"
    for folder in (english, english / "zh-CN"):
        source = zh_notebooks.ENGLISH / folder.relative_to(english) / name
        (folder / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(zh_notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(zh_notebooks, "ENGLISH", english)
    monkeypatch.setattr(zh_notebooks, "CHINESE", english / "zh-CN")
    return english / name, english / "zh-CN" / name


def _edit_cell(path: Path, kind: str, change) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["cell_type"] == kind and c["id"] != "zh-language")
    cell["source"] = change(zh_notebooks.source(cell))
    path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    return cell["id"]


def test_an_english_cell_changed_after_its_translation_is_named_with_its_translation(
    tmp_path, monkeypatch
):
    english, chinese = _pair_in(tmp_path, monkeypatch)
    assert zh_notebooks.out_of_step(english) == []
    cell = _edit_cell(english, "markdown", lambda text: text + "\nOne more sentence.")
    (problem,) = zh_notebooks.out_of_step(english)
    assert f"zh-CN/{english.name} cell {cell} translates {english.name} cell {cell}" in problem
    assert "which has changed since" in problem


def test_a_chinese_code_cell_may_differ_in_its_comments_only(tmp_path, monkeypatch):
    english, chinese = _pair_in(tmp_path, monkeypatch)
    _edit_cell(chinese, "code", lambda text: text + "\n# 只是一条注释")
    assert zh_notebooks.out_of_step(english) == []
    cell = _edit_cell(chinese, "code", lambda text: text + "\nprint('中文')")
    (problem,) = zh_notebooks.out_of_step(english)
    assert f"code cell {cell} differs from {english.name} cell {cell}" in problem


def test_an_english_lesson_without_its_chinese_one_is_named(tmp_path, monkeypatch):
    english, chinese = _pair_in(tmp_path, monkeypatch)
    chinese.unlink()
    (problem,) = zh_notebooks.out_of_step(english)
    assert "has no Chinese lesson" in problem and english.name in problem


def test_the_compiled_catalog_does_not_depend_on_the_babel_that_compiles_it(monkeypatch):
    import babel.messages.catalog

    po = catalog.po_path("zh_CN")
    made = catalog.compiled(catalog.read(po, "zh_CN"))
    monkeypatch.setattr(babel.messages.catalog, "VERSION", "9.99.0")
    assert catalog.compiled(catalog.read(po, "zh_CN")) == made
    assert b"Generated-By" not in made and b"Babel" not in made


def test_catalog_takes_the_shown_words_from_notebook_code_however_it_is_written(tmp_path):
    """Odd code in a lesson neither stops the extraction nor hides a title from it."""
    cells = [
        "from wdfkit.show import plots, widgets\n%matplotlib inline",
        "plots.pool_map(snap, 'Too many', None, 4, 5)",  # fails when run: nothing to take
        "plots.pool_map(*args, title='After a starred argument')",
        "x = !ls\nplots.pool_map(snap, title='After a shell line')",
        "%%capture\nplots.pool_map(snap, title='In a cell magic')",
        "size = (4096\n% 512)\nplots.pool_map(snap, title='After a modulo line')",
        "import wdfkit.show.plots as drawn\ndrawn.pool_map(snap, title='Imported as a module')",
        "from wdfkit.show.plots import pool_map\npool_map(snap, title='Imported as a function')",
        "plots.pool_map(snap, title=f'{x} not known')",
        "def later():\n    plots.mdl_pages(snap, title='Inside a function')",
        "plots.pool_map(snap, title='Broken' +)",  # a cell a lesson means to fail
    ]
    notebook = {
        "cells": [{"cell_type": "code", "source": code, "metadata": {}} for code in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert catalog.notebook_messages(path) == [
        ("After a starred argument", 2),
        ("After a shell line", 3),
        ("In a cell magic", 4),
        ("After a modulo line", 5),
        ("Imported as a module", 6),
        ("Imported as a function", 7),
        ("Inside a function", 9),
    ]


def test_building_a_chinese_lesson_from_its_export_gives_the_lesson_again(tmp_path, monkeypatch):
    """export --zh, then build: the same cells (outputs aside); a cell the English lesson lacks
    is refused, not dropped."""
    committed = zh_notebooks.read(zh_notebooks.lesson("05", zh_notebooks.CHINESE))
    text = zh_notebooks.export("05", chinese=True)
    monkeypatch.setattr(zh_notebooks, "CHINESE", tmp_path)
    built = zh_notebooks.read(zh_notebooks.build("05", text))

    def cells(notebook):
        return [(c["id"], c["cell_type"], zh_notebooks.source(c)) for c in notebook["cells"]]

    assert cells(built) == cells(committed)
    extra = text + "\n%%%% zh-extra markdown\n多出来的一段。\n"
    with pytest.raises(SystemExit, match="zh-extra"):
        zh_notebooks.build("05", extra)


def test_catalog_check_fails_when_it_lists_a_problem(monkeypatch, capsys):
    catalog.check()  # the committed catalog: nothing to list, status 0
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(catalog, "problems", lambda language: ["untranslated: 'Tag'"])
    with pytest.raises(SystemExit) as stopped:
        catalog.check()
    assert stopped.value.code == 1
    assert capsys.readouterr().out == "zh_CN: untranslated: 'Tag'\n"


def test_the_wheel_carries_every_compiled_catalog():
    """Binder installs with ``pip install --no-deps .``: the .mo files must be package data
    (verified once by building the wheel; this keeps pyproject's pattern matching them)."""
    tomllib = pytest.importorskip("tomllib")  # (Python 3.11+)

    with (ROOT / "pyproject.toml").open("rb") as project:
        patterns = tomllib.load(project)["tool"]["setuptools"]["package-data"]["wdfkit"]
    carried = {path for pattern in patterns for path in (ROOT / "wdfkit").glob(pattern)}
    for code in language.LANGUAGES:
        if code != "en":
            assert language.LOCALE_DIR / code / "LC_MESSAGES" / "wdfkit.mo" in carried, code


def test_an_untranslated_message_is_reported_where_the_code_made_it():
    with in_language("zh_CN"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _("Another sentence no catalog has.")
    assert [Path(warning.filename).name for warning in caught] == [Path(__file__).name]
