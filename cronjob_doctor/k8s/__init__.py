"""Kubernetes facts read from the API's own JSON: how a Job ended, when it was scheduled, what its pods and
containers say, names, quantities, durations, schedules, shell commands.

Pure: standard library only (no client, no clock, no product module but errors). Every command reads these
facts here; a fact computed anywhere else is a bug in waiting.
"""
