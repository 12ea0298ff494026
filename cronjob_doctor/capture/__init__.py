"""Capture evidence into a bundle: follow.py follows a running Job and loses nothing (targets.py decides which
log streams it needs), ended.py reads what is left of a Job that ended unwatched (snapshot.py applies it to a
CronJob's recent failures), secrets.py turns the Secrets a job reads into a redactor.
"""
