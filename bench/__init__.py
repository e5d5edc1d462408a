"""Benchmarks for Tsunagi (``make bench``): not tests. They run the whole system as
``make up`` does, drive it over HTTP, compare it with a raw Redis + database pipeline
and write their figures to ``bench/results/``. See ``bench/README.md``."""
