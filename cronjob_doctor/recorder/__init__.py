"""The parts of `record` (the flow itself is cronjob_doctor/record.py): the bundle store and its meta.json states,
catching up on Jobs that ended while nobody watched, retention, the --on-failure command and Prometheus metrics.

Nothing here parses flags or prints: the CLI and record.py decide what reaches the terminal.
"""
