r"""``Sequential``: layers in a row, named parameters, forward and backward, spec as data.

Naming follows the seed notes: linear layers are numbered from 1 in order, their parameters
are ``W1, b1, W2, ...``, their outputs (pre-activations) ``z1, z2, ...``, and the activation
after linear layer ``k`` produces ``h_k``. Error messages name layers so: ``Linear 2``,
``ReLU 1``.

The backward pass is the delta recurrence of seed 004 written batch-first:
:math:`\delta_L = \partial L / \partial z_L`, :math:`\delta_l = (\delta_{l+1} W_{l+1})
\odot g_l'(z_l)`, :math:`\partial L/\partial W_l = \delta_l^\top h_{l-1}`,
:math:`\partial L/\partial b_l = 1^\top \delta_l`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chainrule.errors import CheckpointError, ConfigError, DataError, ShapeError, StateError
from chainrule.layers import Layer, Linear, Parameter, layer_from_spec

__all__ = ["Sequential"]

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _all_finite(X: np.ndarray) -> bool:
    """Whether ``X`` holds no NaN or Inf, without a boolean temporary the size of ``X``.

    A finite sum proves every entry finite (a NaN or an Inf makes any sum NaN or Inf), so
    one pass with no extra memory settles the usual case; a sum that overflowed from finite
    entries falls back to ``np.isfinite`` on blocks of a million entries."""
    flat = X.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(flat)
    if np.isfinite(total):
        return True
    block = 1 << 20
    return all(np.isfinite(flat[i : i + block]).all() for i in range(0, flat.size, block))


class Sequential:
    """A feed-forward network: the output of each layer is the input of the next.

    Parameters
    ----------
    layers : sequence of Layer
        E.g. ``[Linear(4, 3), ReLU(), Linear(3, 1)]``. The model (re)initialises them.
    dtype : numpy dtype
        ``np.float32`` (training default) or ``np.float64`` (gradient checks, math tools).
    seed : int or None
        Seed of the ``numpy.random.Generator`` that initialises the weights.

    Examples
    --------
    >>> import numpy as np, chainrule as cr
    >>> m = cr.Sequential([cr.Linear(2, 2), cr.ReLU(), cr.Linear(2, 1)], dtype=np.float64, seed=0)
    >>> m.forward(np.ones((3, 2))).shape
    (3, 1)
    >>> sorted(dict(m.named_parameters()))
    ['W1', 'W2', 'b1', 'b2']
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        dtype: Any = np.float32,
        seed: int | None = None,
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ConfigError("Sequential: needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ConfigError(
                    f"Sequential: item {i} is {type(layer).__name__}, not a chainrule layer"
                )
            if not hasattr(layer, "_buffers"):
                raise ConfigError(
                    f"Sequential: item {i} ({type(layer).__name__}) was not initialised as a "
                    "layer: its __init__ must call super().__init__() first"
                )
            if layer.owner is not None:
                raise ConfigError(
                    f"Sequential: layer {i} ({layer!r}) already belongs to another model; "
                    "create a new layer object for each model"
                )
        dt = np.dtype(dtype)
        if dt not in _DTYPES:
            raise ConfigError(f"Sequential: dtype must be float32 or float64, got {dt}")
        if isinstance(seed, (int, np.integer)) and seed < 0:
            raise ConfigError(f"Sequential: seed must be an integer >= 0 (or None), got {seed}")
        self.layers: list[Layer] = layers
        self.dtype = dt
        self.seed = seed
        self._check_widths()
        self._name_layers()
        rng = np.random.default_rng(seed)
        for layer in layers:
            layer.build(rng, dt)
            layer.owner = self
        self._params: dict[str, Parameter] = {}
        for k, lin in enumerate(self.linear_layers, start=1):
            for p in lin.parameters():
                p.name = f"{p.name[0]}{k}"
                self._params[p.name] = p
        # Intermediate arrays are reused between calls; the arrays handed back to the caller
        # (the output of the last layer, the gradient of the first input) never are.
        for i, layer in enumerate(layers):
            layer.reuse_output = i < len(layers) - 1
            layer.reuse_input_grad = i > 0
        self._ready = False
        self._out_shape: tuple[int, ...] = ()

    # -- structure --------------------------------------------------------------------------
    @property
    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    @property
    def n_inputs(self) -> int | None:
        """Input width ``d`` (from the first linear layer), or None for a model without one."""
        lins = self.linear_layers
        return lins[0].d_in if lins else None

    @property
    def n_outputs(self) -> int | None:
        lins = self.linear_layers
        return lins[-1].d_out if lins else None

    def _check_widths(self) -> None:
        width, previous = None, None
        for lin in (layer for layer in self.layers if isinstance(layer, Linear)):
            if width is not None and lin.d_in != width:
                raise ConfigError(
                    f"Sequential: a Linear layer takes {lin.d_in} inputs but the layer before "
                    f"({previous!r}) gives {width}"
                )
            width, previous = lin.d_out, lin

    def _name_layers(self) -> None:
        k = 0
        for layer in self.layers:
            if isinstance(layer, Linear):
                k += 1
            layer.label = f"{layer.kind} {k}"

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """``("W1", Parameter), ("b1", Parameter), ...`` in layer order."""
        return iter(self._params.items())

    def parameters(self) -> list[Parameter]:
        return list(self._params.values())

    def spec(self) -> list[dict[str, Any]]:
        """The architecture as plain data (JSON-able), one dict a layer."""
        return [layer.spec() for layer in self.layers]

    def describe(self) -> str:
        """The architecture in one line: ``"Linear(4->3) ReLU Linear(3->1)"``."""
        return " ".join(
            f"Linear({layer.d_in}->{layer.d_out})" if isinstance(layer, Linear) else layer.kind
            for layer in self.layers
        )

    @classmethod
    def from_spec(
        cls, spec: Sequence[dict[str, Any]], dtype: Any = np.float32, seed: int | None = None
    ) -> Sequential:
        """Build a model from :meth:`spec` output (weights freshly initialised)."""
        if not isinstance(spec, (list, tuple)) or not spec:
            raise ConfigError(f"model spec must be a non-empty list of layer dicts, got {spec!r}")
        layers = [layer_from_spec(s, where=f"model spec item {i}") for i, s in enumerate(spec)]
        return cls(layers, dtype=dtype, seed=seed)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by name."""
        return {name: p.value.copy() for name, p in self._params.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters; names and shapes must match exactly."""
        missing = sorted(set(self._params) - set(state))
        extra = sorted(set(state) - set(self._params))
        if missing or extra:
            raise CheckpointError(
                f"parameters do not match this model: missing {missing}, unexpected {extra}"
            )
        for name, p in self._params.items():
            value = np.asarray(state[name])
            if value.shape != p.value.shape:
                raise CheckpointError(
                    f"parameter {name} has shape {value.shape}, this model needs {p.value.shape}"
                )
            p.value[...] = value

    def astype(self, dtype: Any) -> Sequential:
        """An independent copy of this model (same layer objects' classes, same weights) in
        ``dtype``; used by gradcheck so that a user's own layer subclass is what gets checked."""
        dt = np.dtype(dtype)
        if dt not in _DTYPES:
            raise ConfigError(f"astype: dtype must be float32 or float64, got {dt}")
        other = copy.deepcopy(self)
        other.dtype = dt
        for layer in other.layers:
            layer.to_dtype(dt)
        other._ready = False
        return other

    # -- computation ------------------------------------------------------------------------
    def check_input(self, X: Any) -> np.ndarray:
        """Validate a batch and return it as a C-contiguous array of the model's dtype."""
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise DataError(f"input has dtype {X.dtype}; expected numbers")
        d = self.n_inputs
        if X.ndim == 1:
            hint = ""
            if d is not None and X.shape[0] == d:
                hint = f" A single example must have shape (1, {d}): use X.reshape(1, -1)."
            raise ShapeError(f"input has shape {X.shape}; expected a batch (n, {d}).{hint}")
        if X.ndim != 2:
            raise ShapeError(f"input has shape {X.shape}; expected a 2-D batch (n, {d})")
        if X.shape[0] == 0:
            raise DataError(f"the batch is empty: input has shape {X.shape}")
        if d is not None and X.shape[1] != d:
            first = self.linear_layers[0]
            hint = ""
            if X.shape[0] == d:
                hint = f" It looks transposed: use X.T, which has shape {X.shape[::-1]}."
            raise ShapeError(
                f"{first.label}: input has shape {X.shape}, expected (n, {d}) because "
                f"W1 has shape {first.W.value.shape} (d_out, d_in).{hint}"
            )
        X = np.ascontiguousarray(X, dtype=self.dtype)
        if not _all_finite(X):
            bad = np.argwhere(~np.isfinite(X))[0]
            raise DataError(
                f"input contains NaN or Inf (first at row {bad[0]}, column {bad[1]}: "
                f"{X[bad[0], bad[1]]})"
            )
        return X

    def forward(self, X: Any, check: bool = True) -> np.ndarray:
        """Output of the network for a batch ``X`` of shape (n, d_in): shape (n, d_out).

        ``check=False`` skips validation (for callers that validated the whole data set)."""
        out = self.check_input(X) if check else X
        for layer in self.layers:
            out = layer.forward(out)
        self._out_shape = out.shape
        self._ready = True
        return out

    __call__ = forward

    def backward(self, grad: Any, input_grad: bool = True) -> np.ndarray | None:
        """Propagate ``grad = dL/d out`` (n, d_out) back through every layer.

        Sets (never accumulates) each parameter's ``.grad`` and returns ``dL/dX`` (n, d_in),
        or None with ``input_grad=False``, which skips the product nothing needs in training.
        Calling it twice gives the same result."""
        if not self._ready:
            raise StateError(
                "backward called before forward: run model.forward(X) on the batch first, "
                "then the loss, then model.backward(loss.backward())"
            )
        grad = np.asarray(grad)
        out_shape = self._out_shape
        if grad.shape != out_shape:
            raise ShapeError(
                f"backward: the gradient has shape {grad.shape}, the last output had shape "
                f"{out_shape}; pass dL/d(output) of the same shape"
            )
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        for i in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > 0)
        return grad

    def predict(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """Outputs for ``X`` (n, d_in) -> (n, d_out), in batches; not for a later backward."""
        X = self.check_input(X)
        if batch_size is None or batch_size >= X.shape[0]:
            out = self.forward(X, check=False).copy()
        else:
            parts = [
                self.forward(X[i : i + batch_size], check=False).copy()
                for i in range(0, X.shape[0], batch_size)
            ]
            out = np.concatenate(parts)
        self.forget()
        return out

    def forget(self) -> None:
        """Drop what backward needs, so a backward now is an error until the next forward."""
        self._ready = False
        for layer in self.layers:
            layer.forget()

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n], dtype={self.dtype.name})"

    def summary_rows(self) -> list[tuple[str, str, str, int]]:
        """One ``(layer, output shape, parameters, count)`` row a layer: what
        :meth:`summary` prints and a notebook shows."""
        rows = []
        width = self.n_inputs
        for layer in self.layers:
            width = getattr(layer, "d_out", width)
            shapes = ", ".join(f"{p.name} {p.value.shape}" for p in layer.parameters())
            count = sum(p.value.size for p in layer.parameters())
            rows.append((layer.label, f"(n, {width})", shapes, int(count)))
        return rows

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts.

        >>> import chainrule as cr
        >>> print(cr.Sequential([cr.Linear(4, 3), cr.ReLU(), cr.Linear(3, 1)], seed=0).summary())
        layer         output    parameters                   count
        Linear 1      (n, 3)    W1 (3, 4), b1 (3,)              15
        ReLU 1        (n, 3)                                     0
        Linear 2      (n, 1)    W2 (1, 3), b2 (1,)               4
        total                                                   19
        """
        lines = [f"{'layer':<14}{'output':<10}{'parameters':<28}{'count':>6}"]
        rows = self.summary_rows()
        for label, shape, shapes, count in rows:
            lines.append(f"{label:<14}{shape:<10}{shapes:<28}{count:>6}")
        lines.append(f"{'total':<52}{sum(r[3] for r in rows):>6}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from chainrule.notebook import html_table

        rows = [list(r) for r in self.summary_rows()]
        total = sum(r[3] for r in rows)
        caption = f"Sequential, {self.dtype.name}, {total:,} parameters"
        return html_table(["layer", "output", "parameters", "count"], rows, caption=caption)
