"""Every kind of bad input ends in one `Error: ...` line naming file, key and fix, with exit code 1."""

from __future__ import annotations

import pytest

from tests.conftest import assert_one_error, map_text, priors_text

GOOD_NODES = [{"id": "a"}, {"id": "b", "given": ["a"]}, {"id": "c", "all": ["a", "b"], "chance": True}]
GOOD_PRIORS = {"a": 0.5, "b | a": 0.5, "b | not a": 0.5, "c": 0.5}


def run_map(cli, write, text: str, priors: dict | None = None):
    m = write("m.toml", text)
    p = write("p.toml", priors_text(GOOD_PRIORS if priors is None else priors, name="p"))
    return cli("estimate", "--map", str(m), "--priors", str(p), "--draws", "100")


@pytest.mark.parametrize("text, fragments", [
    ("id = \"x\"\ntitle = [", ("m.toml", "not valid TOML")),
    (map_text(GOOD_NODES, "zz"), ("target", "unknown node 'zz'")),
    (map_text(GOOD_NODES + [{"id": "d", "all": ["q"]}], "c"), ("node 'd'", "unknown node 'q'")),
    (map_text([{"id": "a", "all": ["b"]}, {"id": "b", "any": ["a"]}], "a"), ("cycle", "a -> b -> a")),
    (map_text(GOOD_NODES + [{"id": "a"}], "c"), ("duplicate node id",)),
    (map_text([{"id": "a"}, {"id": "b", "all": ["a"], "any": ["a"]}], "b"), ("at most one of",)),
    (map_text([{"id": "a", "chance": True}], "a"), ("chance",)),
    (map_text([{"id": "Bad-Id"}], "Bad-Id"), ("snake_case",)),
    (map_text([{"id": "a", "colour": "red"}], "a"), ("node[0] (a).colour", "unknown key")),
    (map_text([{"id": "a", "alll": ["a"]}], "a"), ("did you mean 'all'",)),
    (map_text([{"id": "a"}], "a", threshold=1.5), ("threshold",)),
    (map_text([{"id": f"p{i}"} for i in range(5)] + [{"id": "g", "given": [f"p{i}" for i in range(5)]}], "g"),
     ("given takes at most 4",)),
    ('title = "no id"\ntarget = "a"\n[[node]]\nid = "a"\nclaim = "x"\n', ("id", "required key is missing")),
    (map_text([{"id": "a", "all": []}], "a"), ("empty",)),
])
def test_bad_maps(cli, write, text: str, fragments: tuple[str, ...]) -> None:
    assert_one_error(run_map(cli, write, text), *fragments)


@pytest.mark.parametrize("entries, fragments", [
    ({**GOOD_PRIORS, "a": {"beta": [0, 2]}}, ("priors.a", "Beta(0, 2) is impossible")),
    ({**GOOD_PRIORS, "a": {"beta": [-1, 2]}}, ("a and b must be > 0",)),
    ({**GOOD_PRIORS, "a": {"mean": 0.5, "sd": 0.6}}, ("sd 0.6 is impossible",)),
    ({**GOOD_PRIORS, "a": {"ci90": [0.4, 0.2]}}, ("0 < lo < hi < 1",)),
    ({**GOOD_PRIORS, "a": 1.5}, ("outside [0, 1]",)),
    ({**GOOD_PRIORS, "a": "sort of likely"}, ("phrase 'sort of likely' is not in lexicon 'ipcc'",)),
    ({**GOOD_PRIORS, "a": "highly likely"}, ("lexicon = \"survey\"",)),
    ({**GOOD_PRIORS, "a": {"mean": 0.5}}, ("exactly one of n",)),
    ({**GOOD_PRIORS, "a": {"beta": [1, 1], "mean": 0.5, "n": 2}}, ("exactly one of",)),
    ({**GOOD_PRIORS, "a": {"beta": [1, 1], "colour": 2}}, ("unknown key 'colour'",)),
    ({**GOOD_PRIORS, "b | nota": 0.3}, ("not a parameter", "did you mean 'b | not a'")),
    ({k: v for k, v in GOOD_PRIORS.items() if k != "c"}, ("priors.c", "missing")),
])
def test_bad_priors(cli, write, entries: dict, fragments: tuple[str, ...]) -> None:
    assert_one_error(run_map(cli, write, map_text(GOOD_NODES, "c"), entries), *fragments)


def test_extends_loop(cli, write) -> None:
    write("one.toml", 'name = "one"\nextends = "two.toml"\n[priors]\n')
    path = write("two.toml", 'name = "two"\nextends = "one.toml"\n[priors]\n')
    assert_one_error(cli("estimate", "--priors", str(path)), "loop")


def test_unknown_shipped_names(cli) -> None:
    assert_one_error(cli("estimate", "--priors", "wheatn"), "did you mean 'wheaton'")
    assert_one_error(cli("estimate", "--map", "deceptive-alignmnt"), "did you mean 'deceptive-alignment'")
    assert_one_error(cli("estimate", "--priors", "nowhere/x.toml"), "no such priors file")


def test_unknown_top_level_key_in_priors(cli, write) -> None:
    path = write("p.toml", 'name = "p"\nextend = "wheaton"\n[priors]\n')
    assert_one_error(cli("estimate", "--priors", str(path)), "extend", "did you mean 'extends'")


def test_bad_options(cli) -> None:
    assert_one_error(cli("estimate", "--target", "nope"), "--target 'nope'")
    # out-of-range numbers are usage mistakes: exit 2, before any work, naming the option
    for args, words in ((["--threshold", "2"], "--threshold"), (["--draws", "10"], "--draws"),
                        (["--draws", "100000000"], "--draws")):
        r = cli("estimate", *args)
        assert r.exit_code == 2 and words in r.stderr and "Traceback" not in r.stderr, args


def test_absurd_sizes(cli, write) -> None:
    huge = write("huge.toml", "# " + "x" * 1_100_000)
    assert_one_error(cli("estimate", "--priors", str(huge)), "at most 1,000,000 bytes")


def test_large_maps_are_not_refused(cli, write) -> None:
    # no cap on the number of claims: 500 independent roots are estimated exactly
    big = map_text([{"id": f"n{i}"} for i in range(500)], "n0")
    m = write("m.toml", big)
    p = write("p.toml", priors_text({f"n{i}": {"beta": [2, 3]} for i in range(500)}, name="p"))
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--json", "--draws", "1000")
    assert r.exit_code == 0, r.stderr
    assert abs(__import__("json").loads(r.stdout)["result"]["exact_mean"] - 0.4) < 1e-12


def test_usage_errors_exit_2(cli) -> None:
    assert cli("estimate", "--draws", "many").exit_code == 2
    assert cli("estimate", "--no-such-option").exit_code == 2



def test_degenerate_prior_does_not_crash_the_report(cli, write) -> None:
    m = write("m.toml", map_text([{"id": "a"}], "a"))
    p = write("p.toml", priors_text({"a": {"beta": [1e-300, 1]}}, name="p"))
    r = cli("estimate", "--map", str(m), "--priors", str(p), "--draws", "1000")
    assert r.exit_code == 0, (r.stderr, r.exception)
    assert "survives these priors" in r.stdout
