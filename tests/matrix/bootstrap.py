"""ansible-test's pip bootstrap, built from the package index where ansible-test cannot download it.

ansible-test puts pip into each virtual environment it makes by running a script it downloads
from its own host and caches as ``~/.ansible/test/cache/get_pip_<version>.py``, one per pinned
pip version; each release pins its own versions, and some pin other ones for some Pythons. On a
machine that reaches the package index but not that host, the download fails and so does every
sanity test. For every pip version that the running ansible-test pins, for any Python it
supports, this leaves the cached script alone when it is there, tries ansible-test's own download
next, and otherwise writes a stand-in: pip's wheel of that version, from the package index, which
installs the packages ansible-test asks for (itself first among them). Run it with the Python
that has ansible-test: ``python -m tests.matrix.bootstrap``.
"""

import os
import re
import subprocess
import sys
import types
import urllib.request

from ansible_test._internal import python_requirements
from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS

CACHE = os.path.expanduser(os.path.join("~", ".ansible", "test", "cache"))
SETUP_SCRIPT = os.path.join(os.path.dirname(python_requirements.__file__), "..", "_util", "target", "setup",
                            "requirements.py")
DOWNLOAD_SECONDS = 10

STAND_IN = '''\
"""Stand-in for ansible-test's get-pip script, pip {version}: written by netguard.aws tests/matrix/bootstrap.py."""
import sys

WHEEL = {wheel!r}
# get-pip options with no meaning for "pip install"; ansible-test passes them to leave setuptools and wheel out.
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402  (importable only once the wheel is on the path)

sys.exit(main(["install", "--quiet"] + [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY]))
'''


def pinned_pip_versions():
    """Every pip version this ansible-test installs into a virtual environment, whatever the Python."""
    return sorted(set(python_requirements.get_venv_packages(types.SimpleNamespace(version=version))["pip"]
                      for version in SUPPORTED_PYTHON_VERSIONS))


def download_url(version):
    """ansible-test's own address for the script, read from its source so that it follows each release."""
    with open(SETUP_SCRIPT) as handle:
        template, = re.findall(r"'(https://[^']+%s[^']*)'", handle.read())
    return template % version


def downloaded(version, path):
    try:
        with urllib.request.urlopen(download_url(version), timeout=DOWNLOAD_SECONDS) as response:
            content = response.read()
    except OSError:
        return False
    with open(path, "wb") as handle:
        handle.write(content)
    return True


def stand_in(version, path):
    """Write a script that runs pip ``version`` from its wheel, downloaded from the package index."""
    wheels = os.path.join(CACHE, "netguard-pip-wheels")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "--dest", wheels, "pip==%s" % version], check=True)
    wheel, = [name for name in os.listdir(wheels) if name.startswith("pip-%s-" % version) and name.endswith(".whl")]
    with open(path, "w") as handle:
        handle.write(STAND_IN.format(version=version, wheel=os.path.join(wheels, wheel)))


def main():
    os.makedirs(CACHE, exist_ok=True)
    for version in pinned_pip_versions():
        path = os.path.join(CACHE, "get_pip_%s.py" % version.replace(".", "_"))
        if os.path.exists(path):
            how = "cached"
        elif downloaded(version, path):
            how = "downloaded"
        else:
            stand_in(version, path)
            how = "built from the package index"
        print("ansible-test pip %s bootstrap: %s (%s)" % (version, how, path))


if __name__ == "__main__":
    main()
