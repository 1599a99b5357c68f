"""What operators watch: health, Prometheus metrics, request ids and access logs, the audit view."""
