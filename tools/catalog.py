"""The package's message catalogs: extract, update, compile (Babel's catalog tools).

    python tools/catalog.py extract   # wdfkit/locale/wdfkit.pot from every _() and N_() in wdfkit
    python tools/catalog.py update    # each language's .po gets the new messages (empty) and
                                      # loses the ones no code uses any more
    python tools/catalog.py merge FILE.po ...   # take translations from other .po files
                                                # (chained: extract update merge A.po compile)
    python tools/catalog.py compile   # each .po -> its .mo, which wdfkit.language reads
    python tools/catalog.py check     # what tests/test_translations.py checks, as a list
                                      # (exit status 1 when it lists anything)

Run ``extract update`` after changing a message in the code, translate the new entries in
``wdfkit/locale/zh_CN/LC_MESSAGES/wdfkit.po``, then ``compile``.  The files are written the
same way every time (no dates), so a diff shows only what changed.

Messages come from two places:

* the package: every ``_("...")`` and ``N_("...")`` in ``wdfkit`` (Babel's extractor);
* the English lessons (``notebooks/[0-9][0-9]_*.ipynb``): the words a lesson hands to a show
  function that translates them when it shows them (the package cannot mark them: they are
  in the notebook, and the Chinese lesson runs the same code).  Which arguments those are is
  :data:`SHOWN_ARGUMENTS`: a ``title`` of a plot or lab, and a lab's ``choices`` (each keyword,
  with its underscores as spaces, and each option that is a string; an option given as a
  (label, value) pair shows its label as it is, so is not taken).  Each code cell is parsed
  as IPython reads it; a call of a show function (``plots.pool_map(...)``,
  ``widgets.ScenarioLab(...)``, however the lesson imported it) is matched to the function's
  parameters (a call they do not fit is left: it fails when run), and an argument is taken
  when it is a string constant, a tuple, list or dict of them, a name the notebook bound to
  such a constant (``title = "..."``), or a module constant of the package
  (``scenarios.MEMORY_KINDS``).  Their location is ``notebooks/<file>``.
"""

import ast
import datetime
import importlib
import inspect
import io
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wdfkit"
NOTEBOOKS = ROOT / "notebooks"
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


SHOWN_ARGUMENTS = {
    ("plots", "pool_map"): {"title": "text"},
    ("plots", "lookaside_timeline"): {"title": "text"},
    ("plots", "lifetime_timeline"): {"title": "text"},
    ("plots", "fit_timeline"): {"title": "text"},
    ("plots", "mdl_pages"): {"title": "text"},
    ("widgets", "ScenarioLab"): {"title": "text", "choices": "choices"},
}
"""(module of wdfkit.show, function) -> {parameter: how its argument is shown}: the arguments a
lesson gives in English and the function translates when it shows them ("text": the string;
"choices": a lab's choices, see the module's docstring)."""


def extracted() -> Catalog:
    """Every message the package marks, and every one the English lessons hand to a show
    function that translates it, with the files (and lines, or cells) that use it."""
    template = _catalog()
    found = extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    for filename, lineno, message, _comments, _context in found:
        if isinstance(message, tuple):
            raise SystemExit(f"{filename}:{lineno}: only _() and N_() are used, not plurals")
        template.add(message, locations=[(f"wdfkit/{filename}", lineno)])
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for message, cell in notebook_messages(path):
            template.add(message, locations=[(f"notebooks/{path.name}", cell)])
    return template


class _Unknown:
    """An argument whose value cannot be known without running the notebook."""


UNKNOWN = _Unknown()


def _code_cells(path: Path):
    """(index, parsed code) of each code cell of the notebook at *path* that Python parses,
    read as IPython reads it: ``%`` and ``!`` lines made calls (a line that only continues an
    expression with ``%``, the modulo, stays as it is), and a ``%%`` cell magic's body read as
    the cell's code."""
    from IPython.core.inputtransformer2 import TransformerManager

    ipython = TransformerManager()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.startswith("%%"):
            source = source.partition("\n")[2]
        try:
            yield index, ast.parse(ipython.transform_cell(source))
        except SyntaxError:  # (a cell a lesson means to fail)
            continue


def _module_constant(module: str, name: str):
    """The value of the top-level ``name = <literal>`` in the package's *module* (dotted)."""
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return UNKNOWN
    value = UNKNOWN
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                value = UNKNOWN
    return value


def _value(node, names: dict, modules: dict):
    """What *node* evaluates to when that is known without running anything: a constant, a
    tuple, list or dict of values (UNKNOWN where a part is not known), a name the notebook
    bound to a constant, or a constant of a package module the notebook imported."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_value(item, names, modules) for item in node.elts)
    if isinstance(node, ast.Dict):
        return {
            _value(key, names, modules): _value(item, names, modules)
            for key, item in zip(node.keys, node.values, strict=True)
            if key is not None
        }
    if isinstance(node, ast.Name):
        return names.get(node.id, UNKNOWN)
    if isinstance(node, ast.Attribute):
        module = _dotted(node.value, modules)
        return UNKNOWN if module is None else _module_constant(module, node.attr)
    return UNKNOWN


def _dotted(node, modules: dict) -> str | None:
    """The package's dotted name *node* stands for (``plots.pool_map`` after ``from
    wdfkit.show import plots``: ``wdfkit.show.plots.pool_map``), or None."""
    if isinstance(node, ast.Name):
        return modules.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, modules)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _shown(how: str, value) -> list[str]:
    """The messages a show function makes of an argument *value* it shows as *how* says."""
    if how == "text":
        return [value] if isinstance(value, str) and value else []
    found = []  # "choices": {keyword: options or a bool}
    for keyword, options in value.items() if isinstance(value, dict) else ():
        if isinstance(keyword, str):
            found.append(keyword.replace("_", " "))
        if isinstance(options, tuple):
            found += [option for option in options if isinstance(option, str) and option]
    return found


def _function(module: str, name: str):
    """The show function *module*.*name* of this tree's package (for its parameters)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return getattr(importlib.import_module(f"wdfkit.show.{module}"), name)


def notebook_messages(path: Path) -> list[tuple[str, int]]:
    """(message, cell index) for each string the notebook at *path* hands to a show function
    that translates it (:data:`SHOWN_ARGUMENTS`), however the notebook imported it."""
    names: dict = {}  # notebook name -> the constant it was last bound to
    modules: dict = {}  # notebook name -> what of the package it names ("wdfkit.course.x")
    found = []
    for index, tree in _code_cells(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wdfkit"):
                for alias in node.names:
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("wdfkit"):
                        top = alias.name if alias.asname else alias.name.partition(".")[0]
                        modules[alias.asname or top] = top
        for statement in tree.body:  # (the cell's top-level bindings, in order)
            if isinstance(statement, ast.Assign):
                value = _value(statement.value, names, modules)
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        names[target.id] = value
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found += [(message, index) for message in _call_messages(node, names, modules)]
    return found


def _call_messages(call: ast.Call, names: dict, modules: dict) -> list[str]:
    """The messages *call* hands to a show function that translates them; none when it calls
    something else, or when its arguments do not fit the function (it would fail when run)."""
    module, _dot, function = (_dotted(call.func, modules) or "").rpartition(".")
    shown = SHOWN_ARGUMENTS.get((module.removeprefix("wdfkit.show."), function))
    if shown is None or not module.startswith("wdfkit.show."):
        return []
    signature = inspect.signature(_function(module.removeprefix("wdfkit.show."), function))
    positional = []
    for argument in call.args:
        if isinstance(argument, ast.Starred):  # (where the ones after it go is not known)
            break
        positional.append(argument)
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    try:
        bound = signature.bind_partial(*positional, **keywords).arguments
    except TypeError:
        return []
    found = []
    for parameter, how in shown.items():
        if parameter in bound:
            found += _shown(how, _value(bound[parameter], names, modules))
    return found


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


class _WithoutGenerator:
    """*catalog* as write_mo reads it, its header without the ``Generated-By: Babel <version>``
    line Babel always adds: the .mo must not change with the Babel that compiles it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.charset = catalog.charset

    def __iter__(self):
        header, *messages = self.catalog
        header.string = re.sub(r"^Generated-By: [^\n]*\n?", "", header.string, flags=re.M)
        return iter([header, *messages])


def compiled(catalog: Catalog) -> bytes:
    """The .mo of *catalog*, the same bytes every time and with every Babel (its header's
    dates fixed, Babel's version left out)."""
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    out = io.BytesIO()
    write_mo(out, _WithoutGenerator(catalog), use_fuzzy=False)
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
    """Print what is wrong with each catalog; exit with status 1 when anything is."""
    found = [f"{language}: {line}" for language in LANGUAGES for line in problems(language)]
    for line in found:
        print(line)
    if found:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
