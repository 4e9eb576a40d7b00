"""Reporters: pure functions from results to text (plain, JSON, Mermaid, DOT)."""
