"""The tutorial notebook: committed clean, equal to its plain-text source, and it runs.

The notebook is edited as `notebooks/gradient-descent-by-hand.py` (jupytext's percent format,
paired by `jupytext.toml`); the committed .ipynb must hold exactly the same cells.

The notebook is executed fresh with nbclient in a temporary working directory, on a kernel that
runs this interpreter (a kernelspec written to a temporary JUPYTER_PATH, so that whatever other
"python3" kernels the machine has are never picked up). Any cell error fails the test, and a few
key numbers must appear in the outputs, so that a notebook that runs but says something wrong
fails too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "gradient-descent-by-hand.ipynb"
SOURCE = NOTEBOOK.with_suffix(".py")
SYNC = "run: .venv/bin/jupytext --sync notebooks/gradient-descent-by-hand.py"
KERNEL = "descentlab-test"
TIMEOUT = 300  # seconds per cell; the whole notebook takes well under a minute


def test_committed_notebook_is_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {cell.id} has outputs"
            assert cell.execution_count is None, f"cell {cell.id} has an execution count"


def _cells(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def test_notebook_holds_the_cells_of_its_source():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = jupytext.read(SOURCE)
    assert _cells(source), "the source has no cells"
    assert _cells(notebook) == _cells(source), f"the .ipynb and its .py source differ: {SYNC}"


def test_source_is_what_jupytext_writes_for_the_notebook():
    """The .py is exactly jupytext's rendering of the .ipynb under the repository's config."""
    config = jupytext.config.load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))
    assert "py:percent" in str(config.formats)
    notebook = jupytext.read(NOTEBOOK)
    text = jupytext.writes(notebook, fmt="py:percent", config=config)
    assert text == SOURCE.read_text(encoding="utf-8"), f"the .py source is out of date: {SYNC}"


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A kernelspec that runs ipykernel on this very interpreter, found first on JUPYTER_PATH."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "descentlab test kernel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the notebook asks for inline figures
    return KERNEL


def _text(nb) -> str:
    """Everything the code cells printed, and the plain-text results they displayed."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif "data" in output and "text/plain" in output.data:
                parts.append(output.data["text/plain"])
    return "\n".join(parts)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(kernel_name, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path / "run"
    workdir.mkdir()
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    text = _text(nb)
    # Section 1: forward differences agree with the library; h = 1e-12 is worse than 1e-6.
    assert "agree with descentlab's at every h" in text
    # Section 3: the hand loop and minimize both get stuck at the local minimum x = 1 ...
    assert "by hand: stopped after 831 iterations at x = 1.0000, f(x) = 2.0000" in text
    assert "descentlab: x = 1.0000, f(x) = 2.0000" in text
    # ... and the remedies reach the global minimum -2.
    assert "x0 = -3, lr = 0.001: x = -2.0000" in text
    assert "x0 = 3,  lr = 0.01:  x = -2.0000" in text
    assert "multi-start keeps the best end: x = -2.0000, f = -25.0000" in text
    # Section 6: momentum reaches f < 1e-6 on Rosenbrock.
    assert "momentum" in text and "not within 5,000" in text
    # Section 8: the hand-written loop and descentlab.fit take the same steps.
    assert "by hand after 60 epochs: w = 1.9147, b = -0.8746" in text
    assert "descentlab:              w = 1.9147, b = -0.8746" in text
    # The fair comparison: same starts and budget, rates with intervals, f* from the catalogue.
    assert "rosenbrock: 200 starts (seed 0), 1,000 iterations each, tolerances off" in text
    assert "f* = 0 (the catalogue's global minimum)" in text

    images = [
        output
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.output_type in ("display_data", "execute_result")
        and ("image/gif" in output.data or "image/png" in output.data)
    ]
    assert len(images) >= 10
    pages = [  # the explorer, inline: the whole offline page in a sandboxed frame
        output.data["text/html"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.output_type == "execute_result" and "text/html" in output.data
    ]
    assert any(p.startswith('<iframe title="descentlab explorer"') for p in pages)
    assert list(workdir.iterdir()) == [], "the notebook left files in its working directory"
