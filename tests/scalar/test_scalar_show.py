"""Showing the work: forward/backward tables (text, Markdown, LaTeX), the SVG picture and DOT."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chainrule.errors import ConfigError
from chainrule.scalar import Value, maximum, save_svg, table, to_dot, to_svg, topological_order
from chainrule.scalar.labels import fmt, label_nodes
from chainrule.scalar.table import rows, to_text

SVG = "{http://www.w3.org/2000/svg}"


def textbook_graph() -> tuple[Value, dict[str, Value]]:
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    f.backward()
    return f, {"x": x, "y": y, "z": z, "q": q}


def neuron() -> Value:
    w = [Value(v, name=f"w{i}") for i, v in enumerate([2.0, -3.0, 2.0])]
    x = [Value(v, name=f"x{i}") for i, v in enumerate([-1.0, -2.0, 0.5])]
    L = (w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + Value(-4.0, name="b")).sigmoid()
    L.name = "L"
    L.backward()
    return L


# ---------------------------------------------------------------- tables


def test_rows_hold_forward_and_backward_quantities():
    f, _ = textbook_graph()
    by_label = {r.label: r for r in rows(f)}
    assert [r.label for r in rows(f)] == ["x", "y", "q", "z", "f"]
    q = by_label["q"]
    assert (q.operation, q.value, q.local, q.upstream, q.passed) == (
        "x + y",
        3.0,
        (1.0, 1.0),
        -4.0,
        (-4.0, -4.0),
    )
    assert q.flow == "distribute flow unchanged"
    assert by_label["f"].passed == (-4.0, 3.0)  # to q: 1 * z, to z: 1 * q


def test_markdown_tables_list_forward_then_backward_order():
    f, _ = textbook_graph()
    md = table(f, "markdown")
    forward, backward = md.split("**Backward pass**")
    assert "| 3 | q | x + y | 3 | ∂q/∂x = 1, ∂q/∂y = 1 |" in forward
    assert "| 5 | f | q * z | -12 | ∂f/∂q = -4, ∂f/∂z = 3 |" in forward
    lines = [line for line in backward.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| step | node | upstream ∂f/∂node | flow rule | passed down")
    assert lines[1] == (
        "| 1 | f | 1 | split flow & scale each branch by the other factor | "
        "to q: 1 × -4 = -4; to z: 1 × 3 = 3 |"
    )
    assert lines[3] == (
        "| 3 | q | -4 | distribute flow unchanged | to x: -4 × 1 = -4; to y: -4 × 1 = -4 |"
    )
    assert [line.split(" | ")[1] for line in lines[1:]] == ["f", "z", "q", "y", "x"]


def test_markdown_escapes_pipes_in_names():
    a = Value(1.0, name="|a|")
    md = table(a * 2, "markdown")
    assert "\\|a\\|" in md


def test_latex_tables_are_balanced_tabulars_with_math():
    f, _ = textbook_graph()
    tex = table(f, "latex")
    assert tex.count("\\begin{tabular}") == tex.count("\\end{tabular}") == 2
    assert "$q \\cdot z$" in tex and "$x + y$" in tex
    assert "\\frac{\\partial f}{\\partial q} = -4" in tex
    assert "split flow \\& scale" in tex
    for line in tex.splitlines():
        if line.endswith("\\\\"):
            assert line.count("&") - line.count("\\&") == 4  # five columns
            assert line.count("$") % 2 == 0


def test_latex_names_get_subscripts():
    L = neuron()
    tex = table(L, "latex")
    assert "$w_{0} \\cdot x_{0}$" in tex and "$\\sigma(v_{6})$" in tex


def test_text_tables_show_every_node_and_flow_rule():
    L = neuron()
    assert table(L) == to_text(L, width=120)
    text = to_text(L, width=250)  # wide enough that rich does not fold the flow rule
    for label in ("w0", "x2", "b", "L", "v6"):
        assert label in text
    assert "attenuate flow increasingly as output saturates" in text
    assert "0.7311" in text and "0.1966" in text
    assert "\x1b[" not in text  # no colour codes in plain text


def test_unknown_table_format_is_a_config_error():
    f, _ = textbook_graph()
    with pytest.raises(ConfigError, match="markdown"):
        table(f, "html")


def test_labels_name_unnamed_nodes_and_constants():
    x = Value(3.0, name="v1")  # a user name that the automatic names must skip
    z = (x * 2.0 + 1.5).tanh()
    labels = label_nodes(z)
    assert sorted(labels.values()) == ["1.5", "2", "v1", "v2", "v3", "v4"]
    assert fmt(-0.0) == "0" and fmt(1e-7) == "1e-07" and fmt(0.19661193) == "0.1966"


# ---------------------------------------------------------------- pictures


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def node_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class", "").split()[:1] == ["node"]]


def test_svg_of_the_seed_004_neuron_labels_every_node_and_edge():
    L = neuron()
    root = parse_svg(to_svg(L))
    order = topological_order(L)
    labels = label_nodes(L, order)
    nodes = {g.get("data-label"): g for g in node_groups(root)}
    assert set(nodes) == set(labels.values()) and len(nodes) == len(order) == 14
    for node in order:
        texts = [t.text for t in nodes[labels[node]].iter(f"{SVG}text")]
        head = labels[node] if node.op == "leaf" else labels[node] + " = "
        assert texts[0].startswith(head)
        assert texts[1:] == [f"value {fmt(node.data)}", f"grad {fmt(node.grad)}"]
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    expected = sorted(
        (labels[a], labels[n], fmt(n.grad * d))
        for n in order
        for a, d in zip(n.inputs, n.local_grads, strict=True)
    )
    drawn = sorted((g.get("data-from"), g.get("data-to"), g.find(f"{SVG}text").text) for g in edges)
    assert drawn == expected and len(drawn) == 13
    assert nodes["L"].findall(f"{SVG}text")[2].text == "grad 1"
    assert ("b", "v6", "0.1966") in drawn


def tangled() -> Value:
    """Reuse, a leaf used late, a long edge and a three-way max."""
    x, y, z = Value(1.5, name="x"), Value(-2.0, name="y"), Value(0.5, name="z")
    q = (x * y).tanh() + x
    r = maximum(q, y * z, (q * q).sigmoid()) * (x + y + z).relu() + z
    r.backward()
    return r


@pytest.mark.parametrize("make", [neuron, tangled, lambda: textbook_graph()[0]])
def test_svg_layout_goes_left_to_right_without_overlaps(make):
    out = make()
    labels = label_nodes(out)
    root = parse_svg(to_svg(out))
    boxes = {}
    for g in node_groups(root):
        r = g.find(f"{SVG}rect")
        boxes[g.get("data-label")] = tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
    assert len(boxes) == len(labels)
    for n in topological_order(out):
        for a in n.inputs:  # every edge points right
            assert boxes[labels[a]][0] + boxes[labels[a]][2] < boxes[labels[n]][0]
    items = list(boxes.values())
    for i, (x1, y1, w1, h1) in enumerate(items):
        for x2, y2, w2, h2 in items[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_svg_escapes_names_and_draws_reused_nodes_with_two_edges():
    x = Value(3.0, name="a<b & c")
    z = x * x
    z.backward()
    root = parse_svg(to_svg(z))
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert [g.get("data-from") for g in edges] == ["a<b & c", "a<b & c"]
    assert len({g.find(f"{SVG}path").get("d") for g in edges}) == 2  # not drawn on top


def test_svg_of_max_shows_the_routed_gradient():
    a, b = Value(1.0, name="a"), Value(4.0, name="b")
    m = maximum(a, b)
    m.backward()
    root = parse_svg(to_svg(m))
    flows = {
        g.get("data-from"): g.find(f"{SVG}text").text
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge"
    }
    assert flows == {"a": "0", "b": "1"}


def test_repr_svg_for_notebooks_and_size_limit():
    L = neuron()
    assert L._repr_svg_() == to_svg(L)
    node = Value(0.0)
    for _ in range(1200):
        node = -node
    assert node._repr_svg_() is None
    with pytest.raises(ConfigError, match="too many to draw"):
        to_svg(node)


def test_save_svg_writes_the_file_and_reports_bad_paths(tmp_path):
    L = neuron()
    path = tmp_path / "neuron.svg"
    save_svg(L, path)
    parse_svg(path.read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match="cannot write"):
        save_svg(L, tmp_path / "missing" / "x.svg")


def test_dot_has_one_line_per_node_and_edge():
    f, _ = textbook_graph()
    dot = to_dot(f)
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    assert 'label="q = x + y\\nvalue 3\\ngrad -4"' in dot
    assert dot.count("->") == 4
    assert 'n2 -> n4 [label="-4"];' in dot and 'n3 -> n4 [label="3"];' in dot
