"""The explore API through Starlette's test client: the numbers are the engine's, every
edit is answered by a fresh pass, and every bad or foreign request gets a clear JSON error."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from tests.explore.helpers import BASE, client, engine, needs_web, session, unpack

pytestmark = needs_web


def assert_json_error(response, status: int, kind: str, *words: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and body["error"] == kind and body["status"] == status
    for word in words:
        assert word in body["message"], body["message"]
    return body


def test_state_holds_the_engines_loss_gradients_and_unit_values():
    state = client().get("/api/state").json()
    ref = engine()
    assert state["loss"] == ref["loss"] == 0.125  # seed 003: sigmoid(0) = 1/2, target 1
    for name, grad in ref["grads"].items():
        np.testing.assert_array_equal(unpack(state["grads"][name]), grad)
    # Column 0 holds x and dL/dx, the last column the output and dL/df.
    np.testing.assert_array_equal(state["units"][0]["z"], ref["net"].X[0])
    np.testing.assert_array_equal(state["units"][0]["dh"], ref["dX"][0])
    np.testing.assert_array_equal(state["units"][-1]["h"], ref["out"][0])
    # dJ/dW^(1)_{1,2} = -1/16, the worked example's last number.
    assert unpack(state["grads"]["W1"])[0, 1] == -1 / 16
    assert [c["width"] for c in state["network"]["columns"]] == [2, 2, 1]


def test_a_weight_edit_is_answered_by_the_new_forward_and_backward():
    c = client()
    r = c.post("/api/parameter", json={"name": "W1", "index": [0, 1], "value": 0.3}).json()
    ref = engine(edits={("W1", (0, 1)): 0.3})
    assert r["changed"] == {"name": "W1", "index": [0, 1], "value": 0.3}
    assert r["loss"] == pytest.approx(ref["loss"], rel=1e-15) and r["loss"] != 0.125
    for name, grad in ref["grads"].items():
        np.testing.assert_allclose(unpack(r["grads"][name]), grad, rtol=1e-15, atol=0)
    assert "weights" not in r  # an edit sends what changed, not the whole network again


def test_an_input_edit_and_a_bias_edit_change_the_pass():
    c = client()
    r = c.post("/api/input", json={"column": 1, "value": -2.0}).json()
    assert r["units"][0]["z"] == [1.0, -2.0]
    net = cr.zoo.build("seed003-relu-sigmoid-2-2-1", dtype=np.float64)
    X = net.X.copy()
    X[0, 1] = -2.0
    expected = net.loss.forward(net.model.forward(X), net.y)
    assert r["loss"] == pytest.approx(expected, rel=1e-15)
    r = c.post("/api/parameter", json={"name": "b2", "index": [0], "value": 1.5}).json()
    assert r["changed"]["value"] == 1.5
    reset = c.post("/api/reset", json={}).json()
    assert reset["loss"] == 0.125 and unpack(reset["weights"]["b2"]).tolist() == [-1.0]


@pytest.mark.parametrize(
    ("preset", "make"),
    [
        ("sgd", lambda m: cr.SGD(m, lr=0.5)),
        ("momentum-ema", lambda m: cr.Momentum(m, lr=0.5, momentum=0.9, convention="ema")),
        ("rmsprop-seed004", lambda m: cr.RMSProp(m, lr=0.5, alpha=0.9, eps_inside=True)),
        ("adam", lambda m: cr.Adam(m, lr=0.5)),
    ],
)
def test_training_steps_match_the_engines_optimizer(preset, make):
    c = client()
    r = c.post("/api/train", json={"steps": 3, "optimizer": preset, "lr": 0.5}).json()
    r = c.post("/api/train", json={"steps": 2, "optimizer": preset, "lr": 0.5}).json()
    net = cr.zoo.build("seed003-relu-sigmoid-2-2-1", dtype=np.float64)
    opt, losses = make(net.model), []
    for _ in range(5):
        losses.append(net.loss.forward(net.model.forward(net.X), net.y))
        net.model.backward(net.loss.backward())
        opt.step()
    assert r["train"]["history"] == pytest.approx(losses, rel=1e-13)
    assert r["train"]["steps"] == 5 and r["losses"] == pytest.approx(losses[3:], rel=1e-13)
    for name, p in net.model.named_parameters():
        np.testing.assert_allclose(unpack(r["weights"][name]), p.value, rtol=1e-13)


def test_options_list_the_seed004_conventions_and_the_zoo():
    opts = client().get("/api/options").json()
    ids = {o["id"] for o in opts["optimizers"]}
    assert {"momentum-ema", "rmsprop-seed004", "sgd", "adam"} <= ids
    assert all(o["mathml"].startswith("<math") for o in opts["optimizers"])
    assert "seed003-relu-sigmoid-2-2-1" in {z["name"] for z in opts["zoo"]}


def test_a_new_network_from_a_layers_string():
    r = client().post("/api/network", json={"layers": "3-tanh-1", "inputs": 4}).json()
    assert [c["width"] for c in r["network"]["columns"]] == [4, 3, 1]
    assert r["network"]["n_parameters"] == 4 * 3 + 3 + 3 + 1


def test_the_formula_mode_gives_the_scalar_graphs_gradients_and_picture():
    r = client().post("/api/scalar", json={"formula": "(x+y)*z", "at": "x=-2, y=5, z=-4"})
    body = r.json()
    assert body["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0} and body["value"] == -12.0
    assert body["backward"][0] == body["output"] and body["forward"][-1] == body["output"]
    assert body["svg"].startswith("<svg") and 'data-label="v1"' in body["svg"]
    body = client().post("/api/scalar", json={"formula": "w @ x", "at": {"w": [1, 2], "x": [3, 4]}})
    assert body.json()["value"] == 11.0


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "127.0.0.1.evil.example:8765", "localhost:9999", ""]
)
def test_a_foreign_host_header_is_refused(host):
    r = client().get("/api/state", headers={"Host": host})
    assert_json_error(r, 403, "ForbiddenHost", "Host", "127.0.0.1:8765")


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1:8765"])
def test_a_foreign_origin_is_refused(origin):
    r = client().post(
        "/api/parameter",
        json={"name": "W1", "index": [0, 0], "value": 9},
        headers={"Origin": origin},
    )
    assert_json_error(r, 403, "ForbiddenOrigin", origin)


def test_the_page_itself_is_refused_to_a_rebinding_host_and_served_locally():
    c = client()
    assert_json_error(c.get("/", headers={"Host": "attacker.example"}), 403, "ForbiddenHost")
    page = c.get("/", headers={"Origin": BASE})
    assert page.status_code == 200 and "chainrule explore" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace(BASE, "").replace("http://www.w3.org", "")  # no CDN
    assert_json_error(
        c.get("/api/state", headers={"Sec-Fetch-Site": "cross-site"}), 403, "ForbiddenOrigin"
    )


def test_an_oversized_body_is_refused_unread_or_cut_off():
    c = client()
    big = json.dumps({"formula": "x" * 100_000, "at": {}})
    assert_json_error(
        c.post("/api/scalar", content=big, headers={"content-type": "application/json"}),
        413,
        "BodyTooLarge",
        "65,536",
    )

    def chunks():  # no Content-Length: the server stops reading at the bound
        for _ in range(100):
            yield b" " * 4096

    r = c.post("/api/scalar", content=chunks(), headers={"content-type": "application/json"})
    assert_json_error(r, 413, "BodyTooLarge")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"layers": "1000-relu-1000-1"}, ["1,005,001 parameters", "at most 50,000"]),
        ({"layers": "5000-1"}, ["5000 units", "at most 1024"]),
        ({"layers": "-".join(["2", "relu"] * 40) + "-1"}, ["layers"]),
        ({"model": "seed002-two-layer-softmax"}, ["d_in = 3072 units", "at most 1024"]),
    ],
)
def test_a_network_over_the_size_bound_is_refused(body, words):
    c = client()
    assert_json_error(c.post("/api/network", json=body), 400, "ConfigError", *words)
    assert c.get("/api/state").json()["network"]["title"] == "seed003-relu-sigmoid-2-2-1"


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "x.__class__.__mro__",
        "lambda: 1",
        "9^9^9^9",
        "x^99999999",
        "exp(exp(exp(x)))",
        "(" * 500 + "x" + ")" * 500,
    ],
)
def test_a_hostile_formula_is_refused_with_an_expression_error(formula):
    r = client().post("/api/scalar", json={"formula": formula, "at": {"x": 2}})
    body = assert_json_error(r, 400, r.json().get("error", "?"))
    assert body["error"] in ("ExpressionError", "ConfigError")


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("parameter", {"name": "W9", "index": [0, 0], "value": 1}, "parameter"),
        ("parameter", {"name": "W1", "index": [5, 0], "value": 1}, "W1 index[0]"),
        ("parameter", {"name": "W1", "index": [0, 0], "value": "1; rm -rf"}, "W1 value"),
        ("parameter", {"name": "W1", "index": [0, 0], "value": 1e300 * 1e10}, "W1 value"),
        ("input", {"column": 7, "value": 1}, "input column"),
        ("train", {"steps": 10**6, "optimizer": "sgd", "lr": 0.1}, "steps"),
        ("train", {"steps": 1, "optimizer": "eval", "lr": 0.1}, "optimizer"),
        ("train", {"steps": 1, "optimizer": "sgd", "lr": -1}, "learning rate"),
        ("example", {"example": 3}, "example"),
        ("network", {"model": "no-such-net"}, "unknown zoo network"),
        ("scalar", {"formula": "x", "at": {"x": [[[1]]]}}, "deeper"),
        ("reset", {"surprise": 1}, "unknown field"),
    ],
)
def test_bad_values_get_a_json_error_naming_the_field(route, body, field):
    text = json.dumps(body).replace("Infinity", "1e999")  # JSON has no infinity: send 1e999
    r = client().post(f"/api/{route}", content=text, headers={"content-type": "application/json"})
    assert_json_error(r, 400, r.json()["error"], field)


def test_malformed_requests_get_json_errors():
    c = client()
    h = {"content-type": "application/json"}
    assert_json_error(c.post("/api/reset", content=b"{nope", headers=h), 400, "BadJSON")
    assert_json_error(c.post("/api/reset", content=b"[1, 2]", headers=h), 400, "BadJSON", "object")
    nan = b'{"name": "W1", "index": [0, 0], "value": NaN}'
    assert_json_error(c.post("/api/parameter", content=nan, headers=h), 400, "BadJSON", "NaN")
    deep = b"[" * 50_000 + b"]" * 50_000
    assert_json_error(c.post("/api/reset", content=deep[:60_000], headers=h), 400, "BadJSON")
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert_json_error(c.post("/api/reset", content=b"a=1", headers=form), 415, "RequestError")
    assert_json_error(c.get("/api/nothing"), 404, "HTTPError")
    for path in ("/static/..%2fapp.py", "/static/%2e%2e/security.py", "/static/nope.js"):
        assert_json_error(c.get(path), 404, "HTTPError")
    assert_json_error(c.post("/api/state", json={}), 405, "HTTPError")


def test_a_session_survives_refusals_unchanged():
    sess = session()
    c = client(sess)
    before = c.get("/api/state").json()
    c.post("/api/parameter", json={"name": "W1", "index": [0, 0], "value": "1e400"})
    c.post(
        "/api/parameter",
        json={"name": "W1", "index": [0, 0], "value": 2},
        headers={"Origin": "http://x"},
    )
    assert c.get("/api/state").json() == before


def test_a_diverging_run_answers_strict_json_and_says_so():
    c = client()
    c.post("/api/network", json={"layers": "3-1", "inputs": 2})
    r = c.post("/api/train", json={"steps": 500, "optimizer": "sgd", "lr": 100.0})
    assert r.status_code == 200
    body = json.loads(r.text, parse_constant=pytest.fail)  # no Infinity, no NaN in the JSON
    assert len(body["losses"]) < 500 and body["losses"][-1] is None and body["loss"] is None
    assert "stopped being finite" in body["note"]
