# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the vmsig documentation: "make htmldocs".
# The pages are plain kernel-style reStructuredText and need no extension.
import os
import subprocess

project = "vmsig"
author = "the vmsig authors"
copyright = "the vmsig authors"


def _version():
    """The release, as the Makefile describes it (git describe, or VERSION)."""
    if os.environ.get("VMSIG_VERSION"):
        return os.environ["VMSIG_VERSION"]
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(
            ["git", "-C", here, "describe", "--always", "--dirty", "--tags"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        with open(os.path.join(here, "..", "VERSION")) as f:
            return f.read().strip()


version = release = _version()

root_doc = master_doc = "index"
source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build"]
extensions = []

html_theme = "alabaster"
html_title = "vmsig " + release
html_show_sourcelink = False
