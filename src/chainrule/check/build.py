"""From a problem's data to its :class:`~chainrule.check.reference.Reference`.

Network problems take their reference from :func:`chainrule.derive`: the step of the
gradient asked, expanded through the earlier steps down to the names the student may use
(or up to the upstream gradient, for the derivative of one entry of an activation, which
is then replaced by a unit matrix). RBM and formula problems have their own builders
(:mod:`chainrule.check.rbm_problem`, :mod:`chainrule.check.formula_problem`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chainrule.check.instances import exact_instance, network_instances
from chainrule.check.reference import Activation, Reference
from chainrule.errors import ConfigError
from chainrule.expr import tree as T
from chainrule.expr.maps import substitute
from chainrule.expr.render import to_latex
from chainrule.expr.symbols import canonical

if TYPE_CHECKING:
    from chainrule.check.problem import Problem

__all__ = ["build_reference", "reference_text"]

_FUNCTION = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}
DEFAULT_INSTANCES = 6


def build_reference(problem: Problem) -> Reference:
    """The reference of ``problem``, with its random (or given) instances."""
    kind = problem.data["network"].get("kind", "network")
    if kind == "rbm":
        from chainrule.check.rbm_problem import rbm_reference

        return rbm_reference(problem)
    if kind == "formula":
        from chainrule.check.formula_problem import formula_reference

        return formula_reference(problem)
    if kind != "network":
        raise ConfigError(
            f"{problem.where}: network.kind {kind!r}; expected network, rbm or formula"
        )
    return network_reference(problem)


def reference_text(ref: Reference) -> str:
    """LaTeX of the reference as a student would write it."""
    return to_latex(ref.tree())


# ---------------------------------------------------------------- networks


def _network(problem: Problem) -> tuple[Any, Any, float, Any]:
    """The model, loss, L2 strength and zoo network (or None) a problem names."""
    from chainrule.zoo import build as build_zoo

    net_data = problem.data["network"]
    where = f"{problem.where}: network"
    if "zoo" in net_data:
        hidden = net_data.get("hidden")
        net = build_zoo(
            net_data["zoo"],
            n_inputs=net_data.get("n_inputs"),
            n_outputs=net_data.get("n_outputs"),
            hidden=tuple(hidden) if hidden is not None else None,
        )
        return net.model, net.loss, float(net_data.get("l2", net.l2)), net
    if "layers" not in net_data or "loss" not in net_data or "n_inputs" not in net_data:
        raise ConfigError(f"{where}: give a zoo name, or layers, loss and n_inputs")
    import numpy as np

    from chainrule.model import Sequential
    from chainrule.specs import build_loss, parse_layers

    widths = [t for t in net_data["layers"].split("-") if t.strip().isdigit()]
    n_out = int(widths[-1]) if widths else 1
    spec = parse_layers(net_data["layers"], net_data["n_inputs"], n_out)
    model = Sequential.from_spec(spec, dtype=np.float64)
    return model, build_loss(net_data["loss"]), float(net_data.get("l2", 0.0)), None


def network_reference(problem: Problem) -> Reference:
    """A network problem's reference, from :func:`chainrule.derive`."""
    from chainrule.derivation import derive

    data, net_data, q = problem.data, problem.data["network"], problem.data["quantity"]
    model, loss, l2, net = _network(problem)
    batch = bool(net_data.get("batch", False))
    d = derive(
        model,
        loss,
        l2=l2 or None,
        layout=net_data.get("layout"),
        notation=_notation(net_data.get("notation")),
        batch=batch,
    )
    kind = q.get("kind", "gradient")
    given = [str(g) for g in data.get("given", [])]
    aliases = {str(k): str(v) for k, v in data.get("aliases", {}).items()}
    if kind == "activation_derivative":
        base, free, wrap, symbols, acts = _activation_derivative(d, q, problem)
    else:
        base, wrap, free = _gradient_tree(d, q, given, problem)
        symbols = _answer_symbols(d, given)
        acts = _activations(d)
    symbols.update({a: symbols[key] for a, t in aliases.items()
                    if (key := canonical_key(symbols, t)) is not None})  # fmt: skip
    n_inst = int(data.get("instances", DEFAULT_INSTANCES))
    if kind == "number":
        instances = [exact_instance(d, net, aliases, symbols)]
    elif kind == "activation_derivative":
        instances = _scalar_instances(q.get("variable", "x"), n_inst + 4, problem)
    else:
        pres = [a.pre for a in acts]
        instances = network_instances(d, net, n_inst, pres, aliases, symbols, problem)
    sizes = {str(d.plan.n): int(net_data.get("examples", 1))} if isinstance(d.plan.n, str) else {}
    return Reference(
        base=base,
        symbols=symbols,
        instances=instances,
        quantity=problem.quantity,
        wrap=wrap,
        free=free,
        activations=acts,
        sizes=sizes,
        l2=d.notation.lam if l2 else None,
        exact=kind == "number",
        functions={str(k): str(v) for k, v in data.get("functions", {}).items()} or None,
        ones=(d.plan.ones,) if d.plan.ones else (),
    )


def canonical_key(symbols: dict[str, Any], name: str) -> str | None:
    """The key of ``symbols`` that spells ``name`` (in canonical form), or None."""
    want = canonical(name)
    for key in symbols:
        if canonical(key) == want:
            return key
    return None


def _notation(spec: str | None) -> str | None:
    """A notation name, or a file shipped with the bank (``bank/notations/NAME.toml``)."""
    if spec is None or not spec.startswith("bank:"):
        return spec
    from importlib import resources

    path = resources.files("chainrule.check").joinpath("bank", "notations", spec[5:] + ".toml")
    return str(path)


def _quantity_key(d: Any, name: str, where: str) -> str:
    """The engine key (``W2``, ``h1``) of a quantity the notation writes as ``name``."""
    want = canonical(name)
    for key, quantity in d.plan.q.items():
        if canonical(quantity.name) == want and not key.startswith("d"):
            return key
    known = ", ".join(q.name for k, q in d.plan.q.items() if not k.startswith("d"))
    raise ConfigError(f"{where}: the notation has no quantity {name!r}; it has {known}")


def _gradient_names(d: Any) -> dict[str, T.Expr]:
    """Each gradient's symbol name -> the formula of its step."""
    return {s.quantity.name: s.expr for s in d.steps if s.kind not in ("forward", "loss")}


def expand(tree: T.Expr, formulas: dict[str, T.Expr], stops: set[str]) -> T.Expr:
    """Replace gradient symbols by their steps' formulas until only ``stops`` remain."""
    todo = {k: v for k, v in formulas.items() if canonical(k) not in stops}
    for _ in range(len(formulas) + 1):
        names = {n.name for n in tree.walk() if isinstance(n, T.Symbol)}
        if not names & set(todo):
            return tree
        tree = substitute(tree, todo)
    return tree


def _gradient_tree(d: Any, q: dict[str, Any], given: list[str], problem: Problem):
    where = f"{problem.where}: quantity"
    if "wrt" not in q:
        raise ConfigError(f"{where}: the key 'wrt' (the quantity differentiated by) is missing")
    key = _quantity_key(d, q["wrt"], where)
    step = d.step("d" + key)
    stops = {canonical(g) for g in given}
    upstream = None
    if "of" in q:
        of_key = _quantity_key(d, q["of"], where)
        upstream = d.plan.q["d" + of_key]
        stops.add(canonical(upstream.name))
    base = expand(step.expr, _gradient_names(d), stops)
    free: list[tuple[str, int]] = []
    entry = _indices(q.get("entry"), step.quantity.shape, free, where)
    seed = None
    if upstream is not None:
        seed = _unit(upstream.symbol, q.get("of_entry"), free, where)

    def wrap(tree: T.Expr) -> T.Expr:
        if seed is not None:
            tree = substitute(tree, {upstream.name: seed})
        return T.Index(tree, entry) if entry else tree

    return base, wrap, tuple(free)


def _indices(raw: Any, shape: tuple, free: list[tuple[str, int]], where: str) -> tuple:
    """Index nodes for an entry such as ``[1, "j"]``; free names are recorded with sizes."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > len(shape):
        raise ConfigError(f"{where}: entry must be a list of at most {len(shape)} indices")
    out: list[T.Expr] = []
    for item, size in zip(raw, shape, strict=False):
        if item == ":":
            out.append(T.Slice())
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(T.Constant(item))
        elif isinstance(item, str) and item.isalpha() and len(item) == 1:
            if not isinstance(size, int):
                raise ConfigError(f"{where}: a free index runs over a fixed size, got {size}")
            if item not in [n for n, _ in free]:
                free.append((item, size))
            out.append(T.IndexVar(item))
        else:
            raise ConfigError(f"{where}: an index is a number, a letter or ':', got {item!r}")
    return tuple(out)


def _unit(symbol: T.Symbol, raw: Any, free: list[tuple[str, int]], where: str) -> T.Expr:
    """The unit matrix with a 1 at entry ``raw`` (indices may be free): d(entry)/d(matrix)."""
    shape = symbol.shape
    if len(shape) != 2 or not all(isinstance(s, int) for s in shape):
        raise ConfigError(f"{where}: 'of' needs a quantity of fixed 2-D shape, got {shape}")
    if not isinstance(raw, list) or len(raw) != 2:
        raise ConfigError(f"{where}: of_entry must give two indices, such as [1, 1]")
    index = _indices(raw, shape, free, where)
    if shape[0] == 1 and isinstance(index[1], T.IndexVar) and index[0] == T.Constant(1):
        # row i of the identity: a unit row that prints as (I_{n})_{i,:} and reads back
        return T.Index(T.IdentityMatrix(shape[1]), (index[1], T.Slice()))

    def hit(k: int, axis: int) -> T.Expr:
        i = index[axis]
        if isinstance(i, T.Constant):
            return T.Constant(int(i.value == k))
        return T.Indicator(i, "==", T.Constant(k))

    rows = []
    for r in range(1, shape[0] + 1):
        rows.append(tuple(_times(hit(r, 0), hit(c, 1)) for c in range(1, shape[1] + 1)))
    return T.MatrixLiteral(tuple(rows))


def _times(a: T.Expr, b: T.Expr) -> T.Expr:
    for x, y in ((a, b), (b, a)):
        if isinstance(x, T.Constant):
            return T.Constant(0) if x.value == 0 else y
    return T.ElementwiseProduct(a, b)


def _answer_symbols(d: Any, given: list[str]) -> dict[str, Any]:
    """The forward quantities, weights and targets, plus the given gradients; 1 x 1 -> ()."""
    gradients = {s.quantity.name for s in d.steps if s.kind not in ("forward", "loss")}
    gradients |= {q.name for key, q in d.plan.q.items() if key.startswith("d")}
    wanted = {canonical(g) for g in given}
    out = {}
    for name, shape in d.symbols.items():
        if name in gradients and canonical(name) not in wanted:
            continue
        out[name] = () if shape and all(s == 1 for s in shape) else shape
    return out


def _activations(d: Any) -> list[Activation]:
    out = []
    for b in d.plan.blocks:
        if b.activation is None or b.activation.kind not in _FUNCTION:
            continue
        out.append(Activation(b.k, _FUNCTION[b.activation.kind], d.plan.q[b.pre].name,
                              d.plan.q[b.post].name))  # fmt: skip
    return out


def _activation_derivative(d: Any, q: dict[str, Any], problem: Problem):
    """The derivative of layer ``q["layer"]``'s activation, from the layer's own formula."""
    where = f"{problem.where}: quantity"
    layer = q.get("layer")
    blocks = [b for b in d.plan.blocks if b.k == layer and b.activation is not None]
    if not blocks:
        raise ConfigError(f"{where}: layer {layer!r} has no activation")
    act = blocks[0].activation
    x = T.Symbol(str(q.get("variable", "x")), ())
    trees = act.trees(x, T.Apply(_FUNCTION.get(act.kind, "identity"), (x,)), T.Constant(1))
    if trees is None:
        raise ConfigError(f"{where}: {act.label} gives no formulas")
    acts = [Activation(layer, _FUNCTION.get(act.kind, "identity"), x.name, "")]
    return trees[1], (), (lambda t: t), {x.name: ()}, acts


def _scalar_instances(name: str, count: int, problem: Problem) -> list[dict[str, Any]]:
    import zlib

    import numpy as np

    rng = np.random.default_rng(zlib.crc32(problem.id.encode()))
    values = rng.uniform(0.2, 2.0, size=count) * np.where(np.arange(count) % 2, -1.0, 1.0)
    return [{name: np.float64(v)} for v in values]
