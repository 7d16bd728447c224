"""The code location: jobs, schedules and sensors, assembled in `definitions.py`."""
