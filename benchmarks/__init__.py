"""Benchmarks: pagecheck's engines on families that grow with N (docs/benchmarks.md)."""
