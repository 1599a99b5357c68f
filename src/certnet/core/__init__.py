"""Cross-cutting pieces: access policy, audit chain, errors, pagination, clock."""
