"""Security feeds: collectors, parsers, experts and outputs over columnar batches."""
