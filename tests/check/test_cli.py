"""``chainrule check``: one answer, a class's answers (CSV, JSON Lines), Gradescope output,
exit codes, and a batch that survives a slow or crashing answer."""

from __future__ import annotations

import json
import os
import time

import pytest

import chainrule as cr
from chainrule.check import batch
from chainrule.cli import main

pytest.importorskip("chainrule.derivation", reason="the bank's references come from derive")

RIGHT = r"(\delta W^3 \odot [z^2 > 0])^T h^1"
NO_MASK = r"\delta (W^3)^T h^1"


def test_list(capsys) -> None:
    assert main(["check", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if x.startswith("seed001-q1.11 "))
    assert line.split()[1] == "dl/dW^2"  # what it asks, as text
    assert line.endswith("seed 001: What are the partial derivatives with respect to W^2 for l?")
    assert main(["check", "--list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["problems"]) == len(data["details"]) == len(lines)
    row = data["details"][data["problems"].index("seed003-rbm-dc")]
    assert row["quantity"].startswith("\\frac{\\partial")
    assert row["asks"] == "d(log p(v_1, ..., v_n))/dc_z"


def test_one_answer_exit_codes(capsys) -> None:
    assert main(["check", "seed001-q1.11", "--answer", RIGHT]) == 0
    assert main(["check", "seed001-q1.11", "--answer", NO_MASK, "--json"]) == 3
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["code"] == "missing_mask" and out["details"]["layer"] == 2


def test_usage_and_bad_problem(tmp_path, capsys) -> None:
    assert main(["check", "seed001-q1.11"]) == 2
    assert main(["check", "seed001-q9", "--answer", "x"]) == 2
    bad = tmp_path / "hw.toml"
    bad.write_text(
        'id = "hw"\n[network]\nzoo = "seed001-4-3-2-1"\n[quantity]\nwrt = "W^{2}"\nwtr = 1\n'
    )
    assert main(["check", str(bad), "--answer", "x"]) == 4
    assert "did you mean 'wrt'" in capsys.readouterr().err


def test_answers_file_and_gradescope(tmp_path, capsys) -> None:
    csv_file = tmp_path / "answers.csv"
    csv_file.write_text(f'student_id,answer\nada,"{RIGHT}"\nbob,"{NO_MASK}"\ncy,"W^3 +"\n')
    out = tmp_path / "results.json"
    code = main(["check", "seed001-q1.11", "--answers", str(csv_file), "--gradescope", str(out),
                 "--workers", "2", "--json"])  # fmt: skip
    assert code == 3
    payload = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in payload["results"]] == ["correct", "missing_mask", "parse_error"]
    results = json.loads(out.read_text())
    assert results["score"] == 1.0 and len(results["tests"]) == 3
    assert results["tests"][1]["status"] == "failed" and "ReLU" in results["tests"][1]["output"]
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(json.dumps({"id": "ada", "answer": RIGHT}) + "\n")
    assert main(["check", "seed001-q1.11", "--answers", str(jsonl)]) == 0


@pytest.mark.parametrize(
    "content",
    [
        "student,answer\nada\n",
        "name\nada\n",
        '{"id": "a"}\n',
        "not json\n",
        '{"id": 1, "answer": 2}\n',
    ],
)
def test_bad_answers_file_is_exit_4(tmp_path, content: str) -> None:
    suffix = ".jsonl" if content.startswith(("{", "not")) else ".csv"
    path = tmp_path / f"answers{suffix}"
    path.write_text(content)
    assert main(["check", "seed001-q1.11", "--answers", str(path)]) == 4


def test_a_slow_or_crashing_answer_does_not_stop_the_batch(monkeypatch) -> None:
    p = cr.check.problem("seed001-q1.5")
    real = type(p).grade

    def hostile(self, text):
        if text == "SLOW":
            time.sleep(30)
        if text == "CRASH":
            os._exit(1)
        return real(self, text)

    monkeypatch.setattr(type(p), "grade", hostile)
    answers = [r"\delta W^3", "SLOW", "CRASH", r"-\delta W^3", r"\delta W^3"]
    start = time.monotonic()
    results = batch.grade_many(p, answers, workers=2, time_limit=2.0)
    assert time.monotonic() - start < 20
    assert [r.code for r in results] == ["correct", "parse_error", "parse_error", "sign", "correct"]
    assert "longer than 2 s" in results[1].message and "stopped" in results[2].message


def test_json_array_answers_and_gradescope_checked_first(tmp_path, capsys) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([{"id": "ada", "answer": RIGHT}, {"id": "bo", "answer": "x"}]))
    assert main(["check", "seed001-q1.11", "--answers", str(answers), "--json"]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["code"]) for r in payload["results"]] == [
        ("ada", "correct"),
        ("bo", "shape_mismatch"),
    ]
    answers.write_text('[{"id": "ada", "answer": 1}]')
    assert main(["check", "seed001-q1.11", "--answers", str(answers)]) == 4
    assert "item 1: the answer must be a string" in capsys.readouterr().err
    # a destination that cannot be written is refused before any answer is graded
    assert main(["check", "seed001-q1.11", "--answer", RIGHT, "--gradescope", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    blocked = tmp_path / "file"
    blocked.write_text("")
    target = str(blocked / "results.json")
    assert main(["check", "seed001-q1.11", "--answer", RIGHT, "--gradescope", target]) == 2
    assert "--gradescope" in capsys.readouterr().err


def test_messages_name_the_quantity_in_plain_text(capsys) -> None:
    assert main(["check", "seed004-mlp-db1", "--answer", r"\delta^{[1]} (A^{[0]})^T"]) == 3
    out = capsys.readouterr().out
    assert "but dℒ/db_1 has shape (2, 1)" in out
    assert "\\" not in out  # no raw LaTeX in what a terminal shows


@pytest.mark.parametrize(
    ("answer", "code", "words"),
    [
        # delta is one number here; read as a 1 x 1 matrix the answer fits up to foo
        (r"(delta @ W3 * foo(z2)).T @ h1", "unknown_symbol", "no symbol foo"),
        # the shape error is the one after delta @ W3, which fits as 1 x 1 @ 1 x 2
        (r"(delta @ W3 * (z2 > 0)).T @ h1 @ h1", "shape_mismatch", "where (3, 3) is needed"),
        (r"(delta @ W3 * (z2 > 0)).T @ h1", "correct", "Correct"),
    ],
)
def test_a_number_used_as_a_1x1_matrix_does_not_hide_the_real_trouble(answer, code, words):
    r = cr.check.problem("seed001-q1.11").grade(answer)
    assert r.code == code and words in r.message, r.message


@pytest.mark.parametrize(
    "answer",
    [
        "(delta @ W3 * relu'(z2)).T @ h1",
        "(delta @ W3 * np.heaviside(z2, 0)).T @ h1",
        "(delta @ W3 * (z2 > 0).astype(float)).T @ h1",
    ],
)
def test_numpy_ways_of_writing_the_mask_are_correct(answer):
    assert cr.check.problem("seed001-q1.11").grade(answer).correct


def test_a_term_and_an_unknown_name_are_shown_as_a_student_reads_them():
    p = cr.check.problem("seed002-dW2")
    r = p.grade(r"a_{(1)}^T (p - Y) + 2 \lambda W_{(2)}")  # the 1/n forgotten
    assert r.code == "wrong_coefficient"
    assert r.message.startswith("The term a_(1)ᵀ @ (1 / n * (softmax(z_(2)) - Y)) has")
    assert r.details["term"].startswith("a_{(1)}^T")  # the LaTeX stays in the details
    r = p.grade(r"\frac{1}{n} a_{(0)}^T (p - Y) + 2 \lambda W_{(2)}")
    assert r.code == "unknown_symbol" and r.details["symbol"] == "a_{(0)}"
    assert r.message == "The problem has no symbol a_{(0)}."


def test_a_diagnosis_shows_its_sub_formula_as_text_and_keeps_the_latex():
    r = cr.check.problem("seed004-mlp-dW1").grade(
        r"\frac{2}{3} ((w_2^T (\hat{y} - y)) \odot A) X^T"
    )
    assert r.code == "wrong_derivative"
    assert "(A^[1]) where its derivative A^[1] * (1 - A^[1]) belongs" in r.message
    assert r.details["subformula"] == r"A^{[1]} \odot (1 - A^{[1]})"
    assert r.details["subformula_text"] == "A^[1] * (1 - A^[1])"
