"""The package's message catalogs: extract, update, compile (Babel's catalog tools).

    python tools/catalog.py extract   # wdfkit/locale/wdfkit.pot from every _() and N_() in wdfkit
    python tools/catalog.py update    # each language's .po gets the new messages (empty) and
                                      # loses the ones no code uses any more
    python tools/catalog.py merge FILE.po ...   # take translations from other .po files
    python tools/catalog.py compile   # each .po -> its .mo, which wdfkit.language reads
    python tools/catalog.py check     # what tests/test_translations.py checks, as a list

Run ``extract update`` after changing a message in the code, translate the new entries in
``wdfkit/locale/zh_CN/LC_MESSAGES/wdfkit.po``, then ``compile``.  The files are written the
same way every time (no dates), so a diff shows only what changed.
"""

import datetime
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wdfkit"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "wdfkit.pot"
LANGUAGES = ["zh_CN"]
KEYWORDS = {"_": None, "N_": None}
FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}")
"""A named field of str.format: ``{count}``, ``{address:X}`` (``{{`` is a literal brace)."""


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "wdfkit.po"


def _catalog(**kwargs) -> Catalog:
    return Catalog(
        project="wdfkit",
        version="0.1",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
        **kwargs,
    )


def extracted() -> Catalog:
    """Every message the package marks, with the files and lines that use it."""
    template = _catalog()
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    for filename, lineno, message, _comments, _context in found:
        if isinstance(message, tuple):
            raise SystemExit(f"{filename}:{lineno}: only _() and N_() are used, not plurals")
        template.add(message, locations=[(f"wdfkit/{filename}", lineno)])
    return template


def _write(catalog: Catalog, path: Path) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False, include_previous=False)
    text = re.sub(rb'"POT-Creation-Date: [^"]*\\n"\n', b"", out.getvalue())
    text = re.sub(rb'"PO-Revision-Date: [^"]*\\n"\n', b"", text)
    text = re.sub(rb'"Generated-By: [^"]*\\n"\n', b"", text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=language)


def compiled(catalog: Catalog) -> bytes:
    """The .mo of *catalog*, the same bytes every time (its header's dates fixed)."""
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def extract() -> None:
    _write(extracted(), TEMPLATE)


def update() -> None:
    template = read(TEMPLATE)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read(path, language) if path.exists() else _catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path)


def merge(sources: list[str]) -> None:
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read(path, language)
        for source in sources:
            for message in read(Path(source), language):
                if message.id and message.string and message.id in catalog:
                    catalog[message.id].string = message.string
        _write(catalog, path)


def compile_all() -> None:
    for language in LANGUAGES:
        catalog = read(po_path(language), language)
        po_path(language).with_suffix(".mo").write_bytes(compiled(catalog))


def problems(language: str) -> list[str]:
    """What is wrong with *language*'s catalog: untranslated, fuzzy, fields that differ."""
    found = []
    template = {m.id for m in read(TEMPLATE) if m.id}
    catalog = read(po_path(language), language)
    ids = {m.id for m in catalog if m.id}
    for missing in sorted(template - ids):
        found.append(f"not in the {language} .po (run update): {missing!r}")
    for message in catalog:
        if not message.id:
            continue
        if not message.string:
            found.append(f"untranslated: {message.id!r}")
        elif message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif set(FIELD.findall(message.id)) != set(FIELD.findall(message.string)):
            found.append(
                f"fields differ: {sorted(set(FIELD.findall(message.id)))} in {message.id!r} "
                f"but {sorted(set(FIELD.findall(message.string)))} in {message.string!r}"
            )
    return found


def main(argv: list[str]) -> None:
    """Run the commands in order; ``merge`` takes the .po files that follow it."""
    if not argv:
        raise SystemExit(__doc__)
    commands = {"extract": extract, "update": update, "compile": compile_all, "check": check}
    index = 0
    while index < len(argv):
        command = argv[index]
        index += 1
        if command == "merge":
            sources = []
            while index < len(argv) and argv[index].endswith(".po"):
                sources.append(argv[index])
                index += 1
            merge(sources)
        elif command in commands:
            commands[command]()
        else:
            raise SystemExit(f"unknown command {command!r}\n{__doc__}")


def check() -> None:
    for language in LANGUAGES:
        for line in problems(language):
            print(f"{language}: {line}")


if __name__ == "__main__":
    main(sys.argv[1:])
