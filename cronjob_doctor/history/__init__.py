"""`history`: flow.py reads the CronJob, its Jobs and their pods; model.py assembles the History (rows, summary)
from plain dicts; checks.py derives the warnings (evidence about to be lost, hangs, overlaps, missed runs).
Past runs themselves are k8s/scheduled_runs.py's ScheduledRun, shared with scan.
"""
