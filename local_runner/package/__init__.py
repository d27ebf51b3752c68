"""`python -m local_runner package`: the Lambda zips and a SAM template generated from the manifest."""

from local_runner.package.command import package_collection
from local_runner.package.environment import package_environ
from local_runner.package.sam import sam_template

__all__ = ["package_collection", "package_environ", "sam_template"]
