"""Parsers: a report's bytes in, harmonised columnar batches out (IntelMQ's vocabulary)."""
