"""Running the assets: in-process runs for `hhl run`, jobs, schedules and sensors for the daemon."""
