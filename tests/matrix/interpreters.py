"""Finding an installed Python by its version: on PATH, or among pyenv's real interpreters."""

import glob
import os
import shutil
import subprocess


def version_key(version):
    return tuple(int(part) for part in version.split("."))


def _runs(path, version):
    """Whether ``path`` is Python ``version`` (pyenv's shims exist for versions they then refuse to run)."""
    try:
        completed = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30, check=False)
    except OSError:
        return False
    return completed.returncode == 0 and completed.stdout.decode().strip() == version


def interpreter_path(version):
    """The path of an installed Python ``version`` ("3.9"), or None."""
    candidates = [shutil.which("python%s" % version)]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "%s.*" % version, "bin", "python%s" % version)),
                         reverse=True)
    for path in candidates:
        if path and _runs(path, version):
            return os.path.realpath(path)
    return None
