"""examples/quickstart.ipynb runs from top to bottom in a real Jupyter kernel, and
optplay.figure makes the animated figure it shows."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "examples" / "quickstart.ipynb"


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager
    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        import subprocess
        import sys
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user"], check=True,
                       capture_output=True, timeout=120)
    return "python3"


@pytest.mark.slow
def test_quickstart_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name=_kernel_name(),
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 2
    text = "".join(o.get("text", "") for o in outputs)
    assert "lr = 0.01: diverged" in text and "exp_avg_sq" in text
    assert "The lr was too large for the curvature here" in text


def test_figure_animation_and_look():
    import optplay
    fig = optplay.figure("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 0.01})],
                         steps=1000, lang="zh")
    assert 2 <= len(fig.frames) <= 200
    assert fig.layout.updatemenus[0].buttons[0].label == "▶ 播放"
    assert len(fig.layout.sliders[0].steps) == len(fig.frames)
    assert fig.layout.images[0].source.startswith("data:image/png;base64,")
    assert fig.layout.yaxis.scaleanchor == "x"
    names = [t.name for t in fig.data if t.showlegend]
    assert names == ["Adam lr=0.05", "SGD lr=0.01"]
    # the diverged run is drawn up to where it leaves the plot, never out to 1e150
    xs = [x for t in fig.data if t.x is not None for x in t.x if x is not None]
    assert max(abs(x) for x in xs) < 10
    json.dumps(fig.to_plotly_json(), default=str)
    fig3 = optplay.figure("himmelblau", ["adam"], steps=50, mode="3d")
    assert fig3.data[0].type == "surface" and len(fig3.frames) == 51
    res = optplay.run("bowl", [("sgd", {"lr": 0.1})], steps=30)
    assert len(optplay.figure(None, res).frames) == 31
    with pytest.raises(ValueError):
        optplay.figure("bowl", ["sgd"], mode="surface")


def test_run_request_explains_divergence_and_the_engine_stays_below_teaching():
    import optplay
    from app.engine import run_request as engine_run
    body = {"surface": "rosenbrock", "steps": 300,
            "runs": [{"optimizer": "sgd", "params": {"lr": 1e-2}}]}
    run = optplay.run_request(body)["runs"][0]
    assert run["status"] == "diverged" and set(run["diverged_reason"]) == {"en", "zh"}
    assert "diverged_reason" not in engine_run(body)["runs"][0]     # words are teaching's
    # (that the engine imports nothing of teaching: tests/test_layers.py)


def test_figure_of_a_surface_from_data_names_its_axes_w_and_b():
    """On a surface from data the plane is the model's (w, b), not (x, y): the axes,
    the colour bar and the hover say so, in both languages, from data= or a Result."""
    import optplay
    fig = optplay.figure(data="line", runs=[("sgd", {"lr": 0.05})], steps=20,
                         batch={"size": 8, "seed": 0})
    assert fig.layout.xaxis.title.text == "w (weight)"
    assert fig.layout.yaxis.title.text == "b (bias)"
    assert fig.data[0].marker.colorbar.title.text == "L(w, b)"
    zh = optplay.figure(None, optplay.run(data="pass-fail", runs=["adam"], steps=10),
                        lang="zh", mode="3d")
    assert zh.layout.scene.xaxis.title.text == "w（权重）"
    assert zh.layout.scene.yaxis.title.text == "b（偏置）"
    assert zh.layout.scene.zaxis.title.text == "L(w, b)"
    assert zh.data[0].hovertemplate.startswith("w = ")
    # The path is the one mini-batch SGD takes (the batch reached the run).
    res = optplay.run(data="line", runs=[("sgd", {"lr": 0.05})], steps=20,
                      batch={"size": 8, "seed": 0})
    moving = [t for t in fig.frames[-1].data if t.mode == "lines+markers"][0]
    assert list(moving.x) == list(res[0].path[:, 0])
    # A formula's plane stays (x, y).
    plain = optplay.figure("bowl", ["sgd"], steps=5)
    assert (plain.layout.xaxis.title.text, plain.layout.yaxis.title.text) == ("x", "y")
    with pytest.raises(TypeError):
        optplay.figure("bowl", ["sgd"], data="line")
