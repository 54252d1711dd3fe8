"""The version matrix: the ansible-core releases the collection is tested on, from ``versions.toml``."""

import os
import tomllib

VERSIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "versions.toml")


def load():
    """``(releases, default)``: every release, oldest first, as dicts of the file's keys; the default one."""
    with open(VERSIONS_FILE, "rb") as handle:
        data = tomllib.load(handle)
    releases = data["release"]
    default, = [release for release in releases if release["ansible_core"] == data["default"]]
    return releases, default
