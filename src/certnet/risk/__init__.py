"""Risk: assets, vulnerability intelligence, exposures, SSVC, protective measures and the
risk register."""
