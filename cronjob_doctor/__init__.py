"""cronjob-doctor: rerun a failing CronJob instrumented, keep the evidence, name the root cause."""

__version__ = "0.1.0"
