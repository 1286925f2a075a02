"""The layers are written down where a newcomer looks: every module and folder of the package
sits in exactly one layer of the import contract, and docs/architecture.md names every folder."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"


def top_level_names() -> set[str]:
    """The package's own modules and sub-packages, as import-linter names them."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    names |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return names


def layers_contract() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    return layers  # type: ignore[no-any-return]


def test_every_module_and_folder_sits_in_one_layer() -> None:
    layers = layers_contract()["layers"]
    assert isinstance(layers, list)
    placed: list[str] = [n.strip() for layer in layers for n in re.split(r"[|:]", layer)]
    assert sorted(set(placed)) == sorted(placed), "a name sits in two layers"
    assert set(placed) == top_level_names(), "the contract lists what the package holds"


def test_the_one_import_upward_is_named() -> None:
    ignored = layers_contract().get("ignore_imports", [])
    assert ignored == ["workbench.conversation._conversation -> workbench.export"]


def test_the_architecture_page_names_every_folder() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    missing = [f for f in folders if f"{f}/" not in page]
    assert missing == []
    assert "`_turn`" in page and "`_drive`" in page, "the turn engine's place is drawn"
