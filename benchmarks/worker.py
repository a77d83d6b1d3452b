"""One implementation in its own process: builds every benchmark network, then times
training steps on request.

Run by ``run.py`` as ``python benchmarks/worker.py IMPL`` (IMPL: chainrule, torch, sklearn,
bound). It reads one JSON command a line on stdin and answers one JSON line on stdout, marked
with ``@@`` so that anything a library prints is never mistaken for an answer:

- ``{"cmd": "setup", "threads": 2}`` -> ``{"threads": ..., "versions": ...}``
- ``{"cmd": "run", "net": "N1", "seconds": 0.3, "min_steps": 3, "settle": 0.3,
  "settle_steps": 16}`` -> ``{"times": [...]}`` (seconds of each training step, run back
  to back after at least ``settle`` seconds and ``settle_steps`` untimed ones; ``"skip"`` where the implementation does not apply)
- ``{"cmd": "quit"}``
"""

from __future__ import annotations

import json
import os
import sys
import time


def _set_thread_env(threads: int) -> None:
    # Before NumPy/PyTorch load: their thread pools read these once.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


# ---------------------------------------------------------------------------------------
# Implementations: build(net) -> step() or None where it does not apply.


def build_chainrule(net, W, X, y):
    import numpy as np

    import chainrule as cr

    layers = []
    for k, (d_in, d_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:], strict=True)):
        layers.append(cr.Linear(d_in, d_out, bias=net.bias))
        if k < len(net.sizes) - 2 or net.out_relu:
            layers.append(cr.ReLU())
    model = cr.Sequential(layers, dtype=np.float32, seed=0)
    state = {}
    for k, (Wk, bk) in enumerate(W, start=1):
        state[f"W{k}"] = Wk
        if bk is not None:
            state[f"b{k}"] = bk
    model.load_state_dict(state)
    loss = {
        "softmax_ce": cr.SoftmaxCrossEntropy,
        "mse": cr.MeanSquaredError,
        "half_se": cr.HalfSquaredError,
    }[net.loss]()
    reg = cr.L2(net.l2) if net.l2 else None
    opt = cr.Adam(model, lr=_lr())
    X = model.check_input(X)  # the whole data set is validated once, as fit() does
    return ChainruleStep(model, loss, opt, reg, _batches(net, X, y))


class ChainruleStep:
    """fit()'s training step, ``chainrule.train_step``, on the benchmark's batches in turn.

    ``model``, ``loss``, ``optimizer`` and ``reg`` (an ``L2`` or None) are public so that
    ``parts.py`` can time each part, and :meth:`with_optimizer` gives the same step with
    another optimizer."""

    def __init__(self, model, loss, optimizer, reg, batches):
        import chainrule as cr

        self.model, self.loss, self.optimizer, self.reg = model, loss, optimizer, reg
        self.batches = batches
        self._it = _cycle(batches)
        self._train_step = cr.train_step
        # fit()'s choice of the BLAS thread count, kept for the life of the worker (an
        # older chainrule given by run.py --baseline has none: its threads stay as started)
        try:
            from chainrule.threads import ThreadChooser
        except ImportError:
            ThreadChooser = None
        self.threads = None if ThreadChooser is None else ThreadChooser().__enter__()

    def with_optimizer(self, optimizer):
        return ChainruleStep(self.model, self.loss, optimizer, self.reg, self.batches)

    def prepare(self):
        """Before a timing: this network's thread count (another network's chooser may
        have set its own)."""
        if self.threads is not None:
            self.threads.claim()

    def __call__(self):
        xb, yb = next(self._it)
        l2 = 0.0 if self.reg is None else self.reg
        if self.threads is None:
            return self._train_step(self.model, self.loss, self.optimizer, xb, yb, l2=l2).loss
        self.threads.begin()
        value = self._train_step(self.model, self.loss, self.optimizer, xb, yb, l2=l2).loss
        self.threads.end()
        return value


def build_torch(net, W, X, y):
    import torch
    import torch.nn.functional as F

    mods = []
    for k, (Wk, bk) in enumerate(W):
        lin = torch.nn.Linear(Wk.shape[1], Wk.shape[0], bias=bk is not None)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(Wk))
            if bk is not None:
                lin.bias.copy_(torch.from_numpy(bk))
        mods.append(lin)
        if k < len(W) - 1 or net.out_relu:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    # L2: lam * sum ||W||^2 has gradient 2 lam W, which Adam's weight_decay adds to the
    # gradient exactly so (torch's cheapest form of the same update); weights only.
    groups = [{"params": [p for p in model.parameters() if not any(p is w for w in weights)]}]
    groups.append({"params": weights, "weight_decay": 2 * net.l2})
    opt = torch.optim.Adam(groups, lr=_lr())
    batches = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in _batches(net, X, y)]
    it = _cycle(batches)
    n = net.batch

    def loss_fn(out, yb):
        if net.loss == "softmax_ce":
            return F.cross_entropy(out, yb)
        if net.loss == "mse":
            return F.mse_loss(out, yb, reduction="sum") / n
        return 0.5 * F.mse_loss(out, yb, reduction="sum") / n

    def step():
        xb, yb = next(it)
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        value = loss.item()
        if net.l2:
            with torch.no_grad():
                value += net.l2 * sum(float(torch.dot(w.view(-1), w.view(-1))) for w in weights)
        return value

    return step


def build_sklearn(net, W, X, y):
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)
    hidden = tuple(net.sizes[1:-1])
    # scikit-learn's alpha is the coefficient of 0.5 ||W||^2 / n_samples in its loss
    common = dict(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="adam",
        alpha=2 * net.l2 * net.batch,
        batch_size=net.batch,
        learning_rate_init=_lr(),
        shuffle=False,
        random_state=0,
    )
    if net.loss == "softmax_ce":
        est = MLPClassifier(**common)
        first = dict(classes=np.arange(net.n_classes))
    else:
        # MLPRegressor: identity output (no output ReLU for N3) and always biases (N2)
        est = MLPRegressor(**common)
        first = {}
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()  # scikit-learn wants one target as (n,)
    batches = _batches(net, X, y)
    est.partial_fit(*batches[0], **first)
    for k, (Wk, bk) in enumerate(W):
        est.coefs_[k][...] = Wk.T
        est.intercepts_[k][...] = 0.0 if bk is None else bk
    it = _cycle(batches)

    def step():
        xb, yb = next(it)
        est.partial_fit(xb, yb)
        return est.loss_

    return step


def build_bound(net, W, X, y):
    """The matrix products of a step and nothing else: forward ``X W^T``, ``dW = G^T X``,
    ``dX = G W`` except for the first layer; the same layouts and dtypes as chainrule."""
    import numpy as np

    rng = np.random.default_rng(2)
    n = net.batch
    Ws = [np.ascontiguousarray(Wk) for Wk, _ in W]
    Zs = [np.empty((n, Wk.shape[0]), np.float32) for Wk in Ws]
    Gs = [rng.standard_normal((n, Wk.shape[0]), dtype=np.float32) for Wk in Ws]
    dWs = [np.empty_like(Wk) for Wk in Ws]
    dXs = [np.empty((n, Wk.shape[1]), np.float32) for Wk in Ws]
    batches = _batches(net, X, y)
    it = _cycle(batches)

    def step():
        xb, _ = next(it)
        h = xb
        inputs = []
        for Wk, Z in zip(Ws, Zs, strict=True):
            inputs.append(h)
            np.dot(h, Wk.T, out=Z)
            h = Z
        for k in range(len(Ws) - 1, -1, -1):
            np.dot(Gs[k].T, inputs[k], out=dWs[k])
            if k > 0:
                np.dot(Gs[k], Ws[k], out=dXs[k])
        return 0.0

    return step


BUILDERS = {
    "chainrule": build_chainrule,
    "baseline": build_chainrule,  # chainrule from another directory (run.py --baseline)
    "torch": build_torch,
    "sklearn": build_sklearn,
    "bound": build_bound,
}


def _lr():
    from problems import LR

    return LR


def _batches(net, X, y):
    from problems import batches

    return batches(net, X, y)


def _cycle(items):
    while True:
        yield from items


# ---------------------------------------------------------------------------------------


def thread_info(impl: str) -> dict:
    """What each thread pool of this process actually runs with."""
    info = {}
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            info[f"{pool['internal_api']} ({os.path.basename(pool['filepath'])})"] = pool[
                "num_threads"
            ]
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    if impl == "torch":
        import torch

        info["torch.get_num_threads()"] = torch.get_num_threads()
    return info


def versions(impl: str) -> dict:
    import numpy as np

    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    if impl == "torch":
        import torch

        out["torch"] = torch.__version__
    elif impl == "sklearn":
        import sklearn

        out["sklearn"] = sklearn.__version__
    elif impl in ("chainrule", "baseline"):
        import chainrule

        out[impl] = f"{chainrule.__version__} ({os.path.dirname(chainrule.__file__)})"
    return out


def main() -> None:
    impl = sys.argv[1]
    threads = int(sys.argv[2])
    _set_thread_env(threads)
    import numpy as np
    from problems import NETS, data, weights

    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
    steps = {}
    for key, net in NETS.items():
        X, y = data(net)
        steps[key] = BUILDERS[impl](net, weights(net), X, y)
    np.seterr(over="ignore")

    def answer(obj):
        sys.stdout.write("@@" + json.dumps(obj) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        if cmd["cmd"] == "setup":
            answer({"threads": thread_info(impl), "versions": versions(impl)})
            continue
        step = steps[cmd["net"]]
        if hasattr(step, "prepare"):
            step.prepare()
        if step is None:
            answer({"times": "skip"})
            continue
        times = []
        chooser = getattr(step, "threads", None)
        looked = len(chooser.looks) if chooser is not None else 0
        clock = time.perf_counter
        start = clock()
        settled = 0
        while clock() - start < cmd.get("settle", 0.0) or settled < cmd.get("settle_steps", 0):
            step()  # untimed: the run meets the load (quiet or busy) before it is timed
            settled += 1
        start = clock()
        while len(times) < cmd["min_steps"] or clock() - start < cmd["seconds"]:
            t0 = clock()
            step()
            times.append(clock() - t0)
        reply = {"times": times}
        if chooser is not None:
            reply["blas_threads"] = chooser.choice
            reply["looks"] = chooser.looks[looked:]  # during the settling and the timing
        answer(reply)


if __name__ == "__main__":
    main()
