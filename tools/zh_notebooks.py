"""The Chinese lessons (notebooks/zh-CN/): write them from a text file, and keep them in step.

A Chinese lesson has the English lesson's cells, in the same order and with the same cell ids,
plus one cell of its own (id ``zh-language``, just before the first code cell) that chooses the
language.  Its Markdown cells are translations: each records, in its metadata, a hash of the
English cell it translates (``translation.english_sha``), so an English cell that changes after
its translation is found.  Its code cells are the English ones, with the comments translated.

    python tools/zh_notebooks.py export 07 > 07.txt        # the English lesson, to translate
    python tools/zh_notebooks.py export 07 --zh > 07.txt   # the Chinese lesson, to revise
    python tools/zh_notebooks.py build 07 07.txt           # write notebooks/zh-CN/07_….ipynb
    python tools/zh_notebooks.py status                    # what is missing or out of date

The text file is the lesson's cells, each after a line ``%%%% <id> <markdown|code>``; build
takes the Markdown and code from it and everything else (ids, order, tags) from the English
lesson, and stamps each Markdown cell with its English cell's hash.  Outputs are not kept:
run ``python tests/execute_notebooks.py notebooks/zh-CN/07_….ipynb`` after building.
"""

import copy
import hashlib
import io
import json
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
CHINESE = ENGLISH / "zh-CN"
LANGUAGE_CELL_ID = "zh-language"
LANGUAGE_CELL = (
    "# 选择语言：本课程包给出的题目、反馈、实验标签和图表标题都用中文。\n"
    "# 日志、对象视图、蓝屏的代码和参数与 WinDbg 一样保持英文；蓝屏下方的解释是中文。\n"
    "from wdfkit.language import use_language\n"
    "\n"
    'use_language("zh_CN")'
)
MARKER = re.compile(r"^%%%% (\S+) (markdown|code)$", re.M)


def english_lessons() -> list[Path]:
    return sorted(ENGLISH.glob("[0-9][0-9]_*.ipynb"))


def chinese_for(english: Path) -> Path:
    return CHINESE / english.name


def english_for(chinese: Path) -> Path:
    return ENGLISH / chinese.name


def lesson(number: str, folder: Path = ENGLISH) -> Path:
    found = sorted(folder.glob(f"{number}_*.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"no single lesson {number!r} in {folder}")
    return found[0]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def english_sha(text: str) -> str:
    """The hash a translation records of the English it translates."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_without_comments(text: str) -> list[tuple[int, str]]:
    """The tokens of a code cell but its comments and line layout: what must be the same
    in both languages.  IPython's ``%`` lines are kept as they are."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("%", "!")):
            lines.append(f"__magic__({stripped!r})")
        else:
            lines.append(line)
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER}
    return [(token.type, token.string) for token in tokens if token.type not in ignored]


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, notebook: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def export(number: str, chinese: bool) -> str:
    path = lesson(number, CHINESE if chinese else ENGLISH)
    parts = []
    for cell in read(path)["cells"]:
        if cell["id"] == LANGUAGE_CELL_ID:
            continue
        parts.append(f"%%%% {cell['id']} {cell['cell_type']}\n{source(cell)}\n")
    return "\n".join(parts)


def parse(text: str) -> dict[str, tuple[str, str]]:
    """The text file's cells: id -> (type, source)."""
    found = {}
    pieces = MARKER.split(text)
    for index in range(1, len(pieces), 3):
        cell_id, kind, body = pieces[index], pieces[index + 1], pieces[index + 2]
        found[cell_id] = (kind, body.strip("\n"))
    return found


def build(number: str, text: str) -> Path:
    english_path = lesson(number)
    english = read(english_path)
    translated = parse(text)
    unknown = sorted(set(translated) - {cell["id"] for cell in english["cells"]})
    if unknown:  # (a cell the text file adds would be lost without a word)
        raise SystemExit(
            f"{english_path.name}: the text file has cells the English lesson lacks: {unknown}"
        )
    notebook = copy.deepcopy(english)
    cells = []
    for cell in notebook["cells"]:
        kind, body = translated.get(cell["id"], (None, None))
        if kind != cell["cell_type"]:
            raise SystemExit(
                f"{english_path.name}: cell {cell['id']} ({cell['cell_type']}) "
                "is missing from the text file or has another type"
            )
        if cell["cell_type"] == "markdown":
            cell["metadata"]["translation"] = {"english_sha": english_sha(source(cell))}
        else:
            if code_without_comments(body) != code_without_comments(source(cell)):
                raise SystemExit(
                    f"{english_path.name}: code cell {cell['id']} differs from "
                    "the English in more than its comments"
                )
            cell["outputs"] = []
            cell["execution_count"] = None
        cell["source"] = body
        cells.append(cell)
    first_code = next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")
    cells.insert(first_code, language_cell())
    notebook["cells"] = cells
    notebook["metadata"]["language_info"] = english["metadata"].get("language_info", {})
    path = chinese_for(english_path)
    write(path, notebook)
    return path


def language_cell() -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": LANGUAGE_CELL_ID,
        "metadata": {},
        "outputs": [],
        "source": LANGUAGE_CELL,
    }


def out_of_step(english_path: Path) -> list[str]:
    """What keeps the Chinese lesson of *english_path* from being in step with it."""
    chinese_path = chinese_for(english_path)
    where = f"{chinese_path.relative_to(ROOT)}"
    if not chinese_path.exists():
        return [f"{english_path.relative_to(ROOT)} has no Chinese lesson ({where})"]
    english = read(english_path)["cells"]
    chinese = [c for c in read(chinese_path)["cells"] if c["id"] != LANGUAGE_CELL_ID]
    found = []
    if [(c["id"], c["cell_type"]) for c in english] != [(c["id"], c["cell_type"]) for c in chinese]:
        found.append(f"{where}: its cells (ids, types, order) are not the English lesson's")
        return found
    for en, zh in zip(english, chinese, strict=True):
        if en["cell_type"] == "markdown":
            recorded = zh["metadata"].get("translation", {}).get("english_sha")
            if recorded != english_sha(source(en)):
                found.append(
                    f"{where} cell {zh['id']} translates {english_path.name} cell {en['id']}, "
                    f"which has changed since (recorded {recorded}, now {english_sha(source(en))})"
                )
        elif code_without_comments(source(en)) != code_without_comments(source(zh)):
            found.append(
                f"{where} code cell {zh['id']} differs from {english_path.name} cell {en['id']} "
                "in more than its comments"
            )
    return found


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    if argv[0] == "export":
        sys.stdout.write(export(argv[1], "--zh" in argv))
    elif argv[0] == "build":
        print(build(argv[1], Path(argv[2]).read_text(encoding="utf-8")))
    elif argv[0] == "status":
        problems = [line for path in english_lessons() for line in out_of_step(path)]
        print("\n".join(problems) or "every Chinese lesson is in step with its English one")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
