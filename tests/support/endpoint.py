"""A moto EC2 endpoint on 127.0.0.1 and the built collection, for the demo and the integration tests."""

import compileall
import glob
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-east-1"
# moto accepts any credentials; these are distinctive so that masking can be checked.
ACCESS_KEY = "AKIDNETGUARDENDPOINT"
SECRET_KEY = "netguard-endpoint-secret"
_BIN = os.path.dirname(sys.executable)


def tool(name):
    """A command installed beside the running Python (the project's virtual environment)."""
    return os.path.join(_BIN, name)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# moto's settings for the tests: no catalogue of public AMIs in each region's EC2 (every reset would load it again),
# which no test uses; an instance may still be started from any image ID.
MOTO_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


def moto_environment():
    return dict(os.environ, **MOTO_SETTINGS)


class MotoServer:
    """``moto_server`` on a free loopback port for the life of a ``with`` block; with ``speedups``, the tests' own
    (moto_speedups.py)."""

    def __init__(self, log_path=os.devnull, speedups=False):
        self.log_path = log_path
        self.speedups = speedups
        self.process = None
        self.url = None

    def __enter__(self):
        port = _free_port()
        self.url = "http://127.0.0.1:%d" % port
        command = [sys.executable, "-m", "tests.support.moto_server"] if self.speedups else [tool("moto_server")]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command + ["-H", "127.0.0.1", "-p", str(port)], cwd=COLLECTION_ROOT,
                                            stdout=log, stderr=subprocess.STDOUT, env=moto_environment())
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("moto_server did not start on %s (see %s)" % (self.url, self.log_path))
                time.sleep(0.1)

    def __exit__(self, *_exc_info):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def reset(self):
        """Forget every resource, so that each scenario starts from an empty region."""
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST"), timeout=10).close()

    def client(self, region=REGION):
        return boto3.client("ec2", region_name=region, endpoint_url=self.url,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def environment(self):
        """Connection settings as environment variables, the way most users give them."""
        return {"AWS_URL": self.url, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}


def build_collection(source, output_dir):
    """Build the collection artifact from ``source`` and return the tarball's path."""
    subprocess.run([tool("ansible-galaxy"), "collection", "build", source, "--output-path", output_dir, "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    tarball, = glob.glob(os.path.join(output_dir, "netguard-aws-*.tar.gz"))
    return tarball


def install_collection(work_dir):
    """Build the collection artifact from the checkout and install it; return the tarball and collections path."""
    tarball = build_collection(COLLECTION_ROOT, os.path.join(work_dir, "dist"))
    collections = os.path.join(work_dir, "collections")
    subprocess.run([tool("ansible-galaxy"), "collection", "install", tarball, "--collections-path", collections,
                    "--offline", "--force"], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))
    # Compiled once, as a user's first run would leave it: where PYTHONDONTWRITEBYTECODE is set, every task of every
    # run would otherwise compile the plugins it imports again.
    compileall.compile_dir(collections, quiet=1)
    return tarball, collections


def ansible_environment(collections_path, work_dir, **extra):
    """The environment for ansible commands: the installed collection, no colour, private temp dirs."""
    environment = dict(os.environ)
    for name in list(environment):
        if name.startswith("AWS_") or name.startswith("ANSIBLE_"):
            del environment[name]
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(work_dir, "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(work_dir, "ansible-tmp"),
        "AWS_CONFIG_FILE": os.path.join(work_dir, "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(work_dir, "no-aws-credentials"),
        "PATH": _BIN + os.pathsep + environment.get("PATH", ""),
        # ansible-core 2.19 and later: a template from an untrusted source is an error instead of being left
        # as text, so that no test passes by a template that a real run would not render.
        "_ANSIBLE_TEMPLAR_UNTRUSTED_TEMPLATE_BEHAVIOR": "error",
    })
    environment.update(extra)
    return environment
