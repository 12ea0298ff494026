"""`scan`: flow.py lists CronJobs, Jobs and pods once for a whole scope; model.py ranks one row per CronJob,
worst first, from plain dicts.
"""
