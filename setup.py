"""Packages are found, not listed: every subpackage of workbench, plus models/ and assets/."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["workbench", "workbench.*"]),
        "workbench.models",
        "workbench.assets",
    ]
)
