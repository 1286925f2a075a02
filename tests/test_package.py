"""The public surface: a curated ``__all__``, lean imports, and the layering kept."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types as pytypes

import pytest

import workbench
import workbench.types


def test_all_names_exist_and_are_sorted_once() -> None:
    for module in (workbench, workbench.types):
        assert len(module.__all__) == len(set(module.__all__))
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name} is in __all__ but missing"


def test_every_public_attribute_is_exported() -> None:
    """Anything public the package exposes is in __all__ (modules and private names aside)."""
    for module in (workbench, workbench.types):
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and not isinstance(value, pytypes.ModuleType)
            and name not in ("annotations",)
        }
        assert public <= set(module.__all__), public - set(module.__all__)


def test_exported_classes_say_they_are_public() -> None:
    """Exported classes and functions live in private modules but carry a docstring."""
    for name in workbench.__all__:
        value = getattr(workbench, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, f"workbench.{name} has no docstring"


def test_import_is_lean() -> None:
    """Importing workbench pulls in neither pandas, ipywidgets nor IPython."""
    code = (
        "import sys, workbench; "
        "heavy = [m for m in ('pandas', 'ipywidgets', 'IPython', 'openai', 'numpy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_version() -> None:
    assert workbench.__version__.count(".") == 2


def test_every_exported_name_loads() -> None:
    for name in workbench.__all__:
        assert getattr(workbench, name) is not None, name
    assert set(dir(workbench)) >= set(workbench.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = workbench.nope  # type: ignore[attr-defined]


def test_import_workbench_loads_nothing_heavy() -> None:
    code = (
        "import sys, workbench\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'httpx', 'pandas', 'ipywidgets', 'IPython')"
        " or m == 'workbench.client._client'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
