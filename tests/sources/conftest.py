"""The moto server fixtures for every source test."""

from tests.sources.aws_server import aws_env, moto_url

__all__ = ["aws_env", "moto_url"]
