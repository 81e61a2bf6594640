"""Kamkor benchmarks: `make bench` runs them and writes `bench/reports/`."""
