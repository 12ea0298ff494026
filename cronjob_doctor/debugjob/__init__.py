"""The debug Job: build.py clones a CronJob into it (pure: CronJob in, Job manifest out, plus its diff);
sampler.py is the memory sampler it runs beside shell scripts and the parser of its lines.
"""
