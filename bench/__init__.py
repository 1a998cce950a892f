"""Benchmarks behind `make bench`. They measure; tests decide correctness."""
