"""trailwarden: detection rules for AWS CloudTrail, compiled once and run over trail exports and streams."""
