"""What a notebook and a REPL show: short reprs, HTML tables, a learning-curve figure; and a
user's own layer that overrides the public forward and backward."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.train import History


def _model():
    return cr.Sequential([cr.Linear(3, 4), cr.ReLU(), cr.Linear(4, 2)], dtype=np.float64, seed=1)


def test_sequential_shows_its_summary_table():
    html = _model()._repr_html_()
    assert html.startswith("<table>") and "Sequential, float64, 26 parameters" in html
    assert "<td>Linear 2</td><td>(n, 2)</td><td>W2 (2, 4), b2 (2,)</td>" in html
    assert "total" in _model().summary() and "(n, 4)" in _model().summary()


def test_gradcheck_report_shows_its_table_and_verdict():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    report = cr.gradcheck(_model(), cr.SoftmaxCrossEntropy(), X, y)
    html = report._repr_html_()
    assert "<caption>PASSED: max relative error" in html and html.count("<tr>") == 5
    assert ">ok</td>" in html


def test_history_shows_a_table_a_short_repr_and_plots_its_curves(tmp_path):
    h = History({"loss": [0.9, 0.5, 0.3], "val_accuracy": [0.5, 0.75, 0.875]}, [1, 2, 3])
    assert repr(h) == "History(3 epochs; loss 0.9 -> 0.3; val_accuracy 0.5 -> 0.875)"
    html = h._repr_html_()
    assert "<th>epoch</th><th>loss</th><th>val_accuracy</th>" in html and html.count("<tr>") == 4
    figure = h.plot()
    assert type(figure).__name__ == "Figure" and len(figure.axes) == 1
    assert h.plot(tmp_path / "curves.png").stat().st_size > 1000


def test_a_loaded_checkpoint_says_in_one_line_what_it_holds(tmp_path):
    model = _model()
    opt = cr.Adam(model, lr=1e-3)
    cr.save(model, tmp_path / "m.chainrule", optimizer=opt, loss=cr.SoftmaxCrossEntropy())
    ckpt = cr.load(tmp_path / "m.chainrule")
    text = repr(ckpt)
    assert len(text) < 300 and "\n" not in text
    assert "Linear(3->4) ReLU Linear(4->2)" in text and "Adam" in text
    assert "<td>Linear 1</td>" in ckpt._repr_html_()


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        (cr.HalfSquaredError(), "HalfSquaredError(reduction='mean')"),
        (
            cr.BinaryCrossEntropy(from_logits=True),
            "BinaryCrossEntropy(reduction='mean', from_logits=True",
        ),
        (cr.L2(0.01), "L2(lam=0.01, half=False)"),
        (cr.data.Standardizer(), "Standardizer(not fitted)"),
        (
            cr.data.Standardizer().fit(np.array([[0.0, 1.0], [2.0, 5.0]])),
            "Standardizer(2 features, mean 1 to 3, scale 1 to 2)",
        ),
    ],
)
def test_short_informative_reprs(obj, text):
    assert repr(obj).startswith(text) and len(repr(obj)) < 120


def test_optimizer_repr_names_its_settings():
    text = repr(cr.Adam(_model(), lr=2e-3))
    assert text.startswith("Adam(lr=0.002") and len(text) < 120


class _Square(cr.Layer):
    """h = z^2 with the public forward and backward overridden."""

    kind = "Square"

    def forward(self, X):
        self.X = X
        return X * X

    def backward(self, grad):
        return 2.0 * self.X * grad


def test_a_layer_that_overrides_the_public_backward_works_and_is_checked():
    model = cr.Sequential([cr.Linear(3, 4), _Square(), cr.Linear(4, 1)], dtype=np.float64, seed=0)
    rng = np.random.default_rng(0)
    report = cr.gradcheck(model, cr.HalfSquaredError(), rng.normal(size=(5, 3)), np.ones((5, 1)))
    assert report.ok and not report.inconclusive


def test_a_backward_without_the_gradient_argument_is_a_clear_error():
    with pytest.raises(cr.ConfigError, match=r"backward must take the upstream gradient"):

        class _Bad(cr.Layer):
            def backward(self):
                return None
