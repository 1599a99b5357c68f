"""Storage: engine and sessions, the declarative base, portable column types, migrations."""
