"""State that outlives a run (checkpoints, open windows, the delivery spool), in one SQLite file."""
