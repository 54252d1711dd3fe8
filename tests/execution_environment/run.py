"""``make test-ee``: the execution environment of ``execution-environment.yml``, built and run.

ansible-builder and podman build the image; ansible-navigator runs the demo play inside it (``--ee true``) against
moto_server on 127.0.0.1, in check mode, for real and again, and the endpoint's rules are checked after each run.

No container registry is reachable where this runs, so the base image is made from Debian's packages (mmdebstrap,
then ``podman import``), kept in podman's storage under a tag that names its recipe, and given to the build through
the EE_BASE_IMAGE build argument; the shipped definition keeps its real base image for users. The rest of the
machine's setup is done here too, each step only when missing: the Debian packages of the tools, ``/dev/mqueue``
(runc mounts an mqueue file system in every container) and a containers.conf under build/ee/ (runc as runtime,
limits that runc is allowed to set). Everything else lives under build/ee/. Usage, with the project's Python
(moto, boto3, ansible-galaxy): ``python tests/execution_environment/run.py``, ansible-builder and
ansible-navigator being installed in .venv-ee.
"""

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.support.endpoint import COLLECTION_ROOT, MotoServer, build_collection  # noqa: E402
from tests.support.seed import egress_rules, label_of, seed_web_group  # noqa: E402

HERE = os.path.join(COLLECTION_ROOT, "tests", "execution_environment")
WORK = os.path.join(COLLECTION_ROOT, "build", "ee")
EE_BIN = os.path.join(COLLECTION_ROOT, ".venv-ee", "bin")
PLAYBOOK = os.path.join(COLLECTION_ROOT, "demo", "playbook.yml")
IMAGE = "localhost/netguard-aws-ee:test"
BASE_REPOSITORY = "localhost/netguard-aws-ee-base"
DEBIAN_TOOLS = {"podman": "podman", "runc": "runc", "mmdebstrap": "mmdebstrap"}

# The definition's python_interpreter (python_path /usr/bin/python3.11) is Debian 12's Python. Debian disables
# ensurepip for its system Python and ships pip as python3-pip, so the test definition skips the builder's
# ensurepip step; venv is what the builder's assemble script makes its virtual environment with.
SUITE = "bookworm"
BASE_PACKAGES = ["python3.11", "python3.11-venv", "python3-pip", "ca-certificates"]
# ansible-builder's scripts call the package manager as dnf does (``install PACKAGE... -y``, ``clean all``).
APT_AS_DNF = """#!/bin/sh
# dnf's two calls in ansible-builder's scripts (install PACKAGE... -y; clean all), made with apt-get.
set -e
case "$1" in
  clean) exec apt-get clean ;;
  install)
    shift
    apt-get install -y -q --no-install-recommends "$@" \\
      || { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } ;;
  *) echo "apt-dnf: not supported: $*" >&2; exit 2 ;;
esac
"""
# The host's CA certificates (the only way to the package index may pass through a TLS-inspecting proxy).
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

KEPT = {"tcp-443-10.1.0.0/16", "icmp-8-10.0.0.0/8", "tcp-5432-group", "udp-53-prefix-list"}
REMOVED = {"all-0.0.0.0/0", "all-::/0", "tcp-25-0.0.0.0/0"}
# ansible-runner's events, encoded in the play's output between terminal erase sequences; navigator passes them on
# when its output is not a terminal.
RUNNER_EVENT = re.compile(r"\x1b\[K[A-Za-z0-9+/=]*\x1b\[\d+D\x1b\[K")
RUNS = [
    # title, ansible-playbook options, tasks changed, labels of the egress rules on the endpoint afterwards
    ("check mode (--check --diff)", ["--check", "--diff"], 2, KEPT | REMOVED),
    ("for real (--diff)", ["--diff"], 2, KEPT),
    ("again (idempotent)", [], 0, KEPT),
]


def step(message):
    print("test-ee: %s" % message, flush=True)


def run(command, log=None, **kwargs):
    """Run ``command``; with ``log``, its output goes there and its tail is shown if it fails."""
    if log is None:
        return subprocess.run(command, check=True, **kwargs)
    with open(log, "w") as handle:
        completed = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False, **kwargs)
    if completed.returncode != 0:
        with open(log) as handle:
            tail = handle.read()[-6000:]
        sys.exit("%s\ntest-ee: %s failed (exit %d); its output: %s" % (
            tail, os.path.basename(command[0]), completed.returncode, os.path.relpath(log, COLLECTION_ROOT)))
    return completed


def install_debian_tools():
    missing = sorted(package for command, package in DEBIAN_TOOLS.items() if shutil.which(command) is None)
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit("test-ee needs %s (Debian packages; apt-get as root installs them)" % ", ".join(missing))
    step("installing %s" % ", ".join(missing))
    # With their recommended packages, as podman's network and storage helpers come.
    install = ["apt-get", "install", "-y", "-q"] + missing
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(install, stdout=subprocess.DEVNULL, env=environment, check=False).returncode != 0:
        run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
        run(install, stdout=subprocess.DEVNULL, env=environment)


def mount_mqueue():
    if not os.path.ismount("/dev/mqueue"):
        os.makedirs("/dev/mqueue", exist_ok=True)
        run(["mount", "-t", "mqueue", "mqueue", "/dev/mqueue"])


def ulimits():
    """Open files and processes for the containers: runc is refused podman's defaults (above this machine's own
    limits), and here even this machine's own process limit, so the process limit is lower."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = 65536 if soft == resource.RLIM_INFINITY else soft
    processes, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    processes = 4096 if processes == resource.RLIM_INFINITY else min(processes, 4096)
    return ["nofile=%d:%d" % (files, files), "nproc=%d:%d" % (processes, processes)]


def containers_conf():
    """podman's configuration for every podman command of this run (ansible-navigator's included)."""
    path = os.path.join(WORK, "containers.conf")
    with open(path, "w") as handle:
        handle.write("[containers]\ndefault_ulimits = %s\n\n[engine]\nruntime = \"runc\"\n" % json.dumps(ulimits()))
    os.environ["CONTAINERS_CONF"] = path


def podman(*arguments, **kwargs):
    return subprocess.run(["podman"] + list(arguments), stdout=subprocess.PIPE, universal_newlines=True,
                          check=kwargs.pop("check", True), **kwargs).stdout.strip()


def base_image():
    """The Debian base image, made unless one of the same recipe (packages, scripts, CA certificates) exists."""
    with open(HOST_CA_BUNDLE, "rb") as handle:
        ca_bundle = handle.read()
    recipe = hashlib.sha256(json.dumps([SUITE, BASE_PACKAGES, APT_AS_DNF]).encode() + ca_bundle).hexdigest()[:12]
    image = "%s:%s-%s" % (BASE_REPOSITORY, SUITE, recipe)
    if subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0:
        step("base image %s is there" % image)
        return image
    started = time.monotonic()
    step("making base image %s from Debian %s's packages (mmdebstrap)" % (image, SUITE))
    apt_as_dnf = os.path.join(WORK, "apt-dnf")
    with open(apt_as_dnf, "w") as handle:
        handle.write(APT_AS_DNF)
    tarball = os.path.join(WORK, "base.tar")
    # dpkg's unsafe I/O (no fsync per file) saves a third of the time: the tree is only ever read to make the tarball.
    run(["mmdebstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES), "--dpkgopt=force-unsafe-io",
         "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
         "--dpkgopt=path-exclude=/usr/share/locale/*",
         "--customize-hook=cp %s \"$1%s\"" % (HOST_CA_BUNDLE, HOST_CA_BUNDLE),
         "--customize-hook=install -m 755 %s \"$1/usr/local/bin/apt-dnf\"" % apt_as_dnf,
         SUITE, tarball], log=os.path.join(WORK, "mmdebstrap.log"))
    run(["podman", "import", "--change", "ENV PIP_CERT=" + HOST_CA_BUNDLE, "--change", "ENV SSL_CERT_FILE=" + HOST_CA_BUNDLE,
         "--change", "CMD [\"/bin/bash\"]", tarball, image], log=os.path.join(WORK, "import.log"))
    os.remove(tarball)
    # Base images of an earlier recipe are no use any more.
    for other in podman("images", "--format", "{{.Repository}}:{{.Tag}}", BASE_REPOSITORY).split():
        if other != image:
            podman("rmi", other, check=False, stderr=subprocess.DEVNULL)
    step("base image made in %d s" % (time.monotonic() - started))
    return image


def test_definition(directory):
    """The shipped definition, for the Debian base: same images and dependencies, with Debian's pip instead of
    ensurepip and the package manager called through apt-dnf."""
    with open(os.path.join(HERE, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    definition.setdefault("options", {}).update({"skip_pip_install": True, "package_manager_path": "/usr/local/bin/apt-dnf"})
    path = os.path.join(directory, "execution-environment.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(definition, handle, sort_keys=False)
    return path


def build_image(base):
    started = time.monotonic()
    directory = os.path.join(WORK, "definition")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(os.path.join(directory, "dist"))
    shutil.copy2(build_collection(COLLECTION_ROOT, os.path.join(directory, "dist")),
                 os.path.join(directory, "netguard-aws.tar.gz"))
    definition = test_definition(directory)
    previous = podman("images", "--quiet", IMAGE)
    dangling = set(podman("images", "--quiet", "--filter", "dangling=true").split())
    step("building %s with ansible-builder (log: build/ee/builder.log)" % IMAGE)
    run([os.path.join(EE_BIN, "ansible-builder"), "build", "--file", definition, "--context", os.path.join(WORK, "context"),
         "--tag", IMAGE, "--container-runtime", "podman", "--build-arg", "EE_BASE_IMAGE=" + base,
         "--extra-build-cli-args", " ".join(["--network=host"] + ["--ulimit=" + limit for limit in ulimits()]),
         "--verbosity", "3"], log=os.path.join(WORK, "builder.log"), cwd=directory)
    # The image this one replaces, and the images of this build's intermediate stages (the collection's, which a
    # new artifact makes stale): the layers that the next build can reuse are the final image's.
    stale = set(podman("images", "--quiet", "--filter", "dangling=true").split()) - dangling
    if previous and previous != podman("images", "--quiet", IMAGE):
        stale.add(previous)
    if stale:
        podman("rmi", *sorted(stale), check=False, stderr=subprocess.DEVNULL)
    step("image built in %d s" % (time.monotonic() - started))


def navigator(project, endpoint, ids, options):
    """``ansible-navigator run`` of the demo play in the image; its output."""
    settings = dict(endpoint.environment(), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    command = [os.path.join(EE_BIN, "ansible-navigator"), "run", os.path.join(project, "playbook.yml"),
               "--mode", "stdout", "--ee", "true", "--ce", "podman", "--eei", IMAGE, "--pull-policy", "never",
               "--playbook-artifact-enable", "false", "--display-color", "false",
               "--log-file", os.path.join(WORK, "ansible-navigator.log"),
               # The container shares the host's network, to reach moto_server on 127.0.0.1.
               "--container-options=--net=host"]
    for name, value in sorted(settings.items()):
        command += ["--senv", "%s=%s" % (name, value)]
    command += ["-e", json.dumps(ids)] + options
    completed = subprocess.run(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    output = RUNNER_EVENT.sub("", completed.stdout)
    print(output, flush=True)
    if completed.returncode != 0:
        sys.exit("test-ee: ansible-navigator failed (exit %d)" % completed.returncode)
    return output


def run_demo():
    # Only the playbook is mounted into the container: the collection the play uses is the image's own.
    project = os.path.join(WORK, "project")
    os.makedirs(project, exist_ok=True)
    shutil.copy2(PLAYBOOK, project)
    with MotoServer(log_path=os.path.join(WORK, "moto_server.log")) as endpoint:
        ec2 = endpoint.client()
        seeded = seed_web_group(ec2)
        ids = {"group_id": seeded["group_id"], "vpc_id": seeded["vpc_id"]}
        failures = []
        for title, options, changed, labels in RUNS:
            step("ansible-navigator run demo/playbook.yml %s  [%s]" % (" ".join(options), title))
            output = navigator(project, endpoint, ids, options)
            recap = re.search(r"^localhost\s*:.*\bchanged=(\d+).*\bfailed=(\d+)", output, re.MULTILINE)
            if recap is None:
                sys.exit("test-ee: no play recap in ansible-navigator's output")
            remaining = set(label_of(rule) for rule in egress_rules(ec2, ids["group_id"]).values())
            if (int(recap.group(1)), int(recap.group(2)), remaining) != (changed, 0, labels):
                failures.append("%s: changed=%s failed=%s, egress rules %s; expected changed=%d failed=0, egress rules %s"
                                % (title, recap.group(1), recap.group(2), sorted(remaining), changed, sorted(labels)))
    return failures


def main():
    started = time.monotonic()
    os.makedirs(WORK, exist_ok=True)
    install_debian_tools()
    mount_mqueue()
    containers_conf()
    build_image(base_image())
    failures = run_demo()
    for failure in failures:
        print("test-ee: FAILED %s" % failure)
    print("%d passed, %d failed" % (len(RUNS) - len(failures), len(failures)))
    step("took %d s" % (time.monotonic() - started))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
