"""Benchmarks: pagecheck's engines, and Spin, on families that grow with N (docs/benchmarks.md)."""
