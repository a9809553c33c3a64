"""Which scripts ``python -m benchmarks.run`` runs."""

from benchmarks.run import OPT_IN, scripts


def test_make_bench_leaves_out_the_opt_in_scripts():
    every = scripts()
    assert "scale" in OPT_IN
    assert not OPT_IN & set(every)
    assert {"api", "orders", "queries"} <= set(every)


def test_only_runs_an_opt_in_script_when_named():
    assert scripts({"scale"}) == ["scale"]
    assert scripts({"scale", "api"}) == ["api", "scale"]
    assert scripts({"api"}) == ["api"]
