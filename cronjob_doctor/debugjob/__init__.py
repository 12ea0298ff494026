"""debugjob."""
