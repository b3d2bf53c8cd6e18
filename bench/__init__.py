"""Benchmarks behind SPEC §7's quality bars: `python -m bench [name…]` (see BENCHMARKS.md)."""
