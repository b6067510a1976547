"""wdfkit's public names: explicit, sorted, one re-export per name, grouped by WDK header.

``wdfkit/__init__.py`` imports each name from the module named after the header that declares
it, one ``from … import (…)`` per module; its docstring's table lists those modules; ``__all__``
is the sorted list of everything imported.  These tests keep the three in agreement.
"""

import ast
import importlib
import inspect
import pkgutil
import re

import pytest

import wdfkit
import wdfkit.ddi
from wdfkit.fx.call import call

_SOURCE = ast.parse(inspect.getsource(wdfkit))
_PRESENTATION = {"show"}  # the IPython hook the package installs: not a re-export


def _groups() -> dict[str, list[str]]:
    """``{module: [names]}`` for each ``from .module import (…)`` in ``wdfkit/__init__.py``."""
    groups = {}
    for node in _SOURCE.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module not in _PRESENTATION:
                groups[f"wdfkit.{node.module}"] = [alias.name for alias in node.names]
    return groups


def _docstring_sections() -> dict[str, str]:
    """``{module: header}`` from the docstring's table (lines ``    header   module   what``)."""
    rows = re.findall(r"^    (\S.*?)\s+(wdfkit\.[\w.]+)\s", wdfkit.__doc__, re.MULTILINE)
    return {module: header for header, module in rows}


def test_all_is_sorted_without_duplicates():
    assert wdfkit.__all__ == sorted(set(wdfkit.__all__))


def test_all_is_exactly_the_names_re_exported_once_each():
    imported = [name for names in _groups().values() for name in names]
    assert sorted(imported) == sorted(set(imported)), "a name is re-exported twice"
    assert set(imported) == set(wdfkit.__all__)


def test_star_import_gives_every_name_in_all():
    namespace: dict = {}
    exec("from wdfkit import *", namespace)  # what every lesson's first cell does
    del namespace["__builtins__"]
    assert set(namespace) == set(wdfkit.__all__)


def test_no_star_imports():
    for node in ast.walk(_SOURCE):
        if isinstance(node, ast.ImportFrom):
            assert all(alias.name != "*" for alias in node.names), node.module


def test_docstring_lists_every_section_and_only_those():
    assert set(_docstring_sections()) == set(_groups())


def test_every_ddi_module_is_a_section():
    modules = {
        f"wdfkit.ddi.{info.name}"
        for info in pkgutil.iter_modules(wdfkit.ddi.__path__)
        if not info.name.startswith("_")
    }
    assert modules <= set(_groups())


def test_each_section_re_exports_its_whole_module():
    for module_name, names in _groups().items():
        module = importlib.import_module(module_name)
        if hasattr(module, "__all__"):
            assert sorted(names) == sorted(module.__all__), module_name
        for name in names:
            assert getattr(wdfkit, name) is getattr(module, name), name


def _defined(module) -> dict[str, ast.AST]:
    """The names a module defines itself, each with its definition."""
    names = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = node
    return names


def test_every_ddi_and_header_constant_is_public():
    """Each DDI (a function decorated ``@ddi``) and each WDF enum value or flag a ddi module
    defines is in its ``__all__``; sizes of structures (``…_SIZE``) stay internal."""
    for module_name in _groups():
        if not module_name.startswith("wdfkit.ddi."):
            continue
        module = importlib.import_module(module_name)
        for name, node in _defined(module).items():
            if name.startswith("_") or name in module.__all__:
                continue
            is_ddi = isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "ddi" for d in node.decorator_list
            )
            is_constant = isinstance(node, ast.Assign) and name.startswith(("Wdf", "WDF_"))
            if is_constant and name.endswith("_SIZE"):
                continue
            assert not (is_ddi or is_constant), f"{module_name}.{name} is not in its __all__"


def test_every_status_is_exported():
    from wdfkit.kernel import ntstatus

    statuses = {name for name in vars(ntstatus) if name.startswith("STATUS_")}
    assert statuses <= set(wdfkit.__all__)


def test_argument_errors_name_the_ddi_from_its_call():
    """Checks get only the parameter's name; ``@ddi`` and ``@macro`` supply the DDI's, and put
    the caller's back when they return, even by an exception."""
    with wdfkit.Machine():
        with pytest.raises(TypeError, match=r"^WdfMemoryCreate: BufferSize must be an int"):
            wdfkit.WdfMemoryCreate(None, wdfkit.NonPagedPoolNx, "gaT1", "64")
        assert call.ddi == "wdfkit"
        with pytest.raises(ValueError, match=r"^WDF_ALIGN_SIZE_UP: AlignTo must fit a size_t"):
            wdfkit.WDF_ALIGN_SIZE_UP(100, -1)
        with pytest.raises(TypeError, match=r"^WdfObjectDelete: Object must be a WDF handle"):
            wdfkit.WdfObjectDelete(42)
    assert call.ddi == "wdfkit"
