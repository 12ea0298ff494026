"""`python -m cronjob_doctor` runs the CLI."""

from cronjob_doctor.cli import main

main()
