"""The collection as the Ansible ecosystem consumes it: artifact, changelog, docs, lint, execution environment."""

import filecmp
import importlib
import os
import re
import shutil
import subprocess
import tarfile
import textwrap

import pytest
import yaml

from ..support.endpoint import COLLECTION_ROOT, build_collection, tool
from ..support.reference_docs import REFERENCE_DIR, generate_reference

# What a development checkout holds that must never ship.
DEVELOPMENT_FILES = [".venv/bin/python", ".matrix/2.16.19/bin/python", ".ansible/collections/x", ".git/HEAD", ".pytest_cache/README.md",
                     ".hypothesis/examples/x", "build/demo/x", "tests/output/junit.xml",
                     "plugins/module_utils/__pycache__/rules.cpython-311.pyc", "netguard-aws-0.0.1.tar.gz"]
DEVELOPMENT_PATTERN = re.compile(r"(^|/)(\.venv|\.matrix|\.ansible|\.git|\.pytest_cache|\.hypothesis|__pycache__|build)(/|$)"
                                 r"|^tests/output(/|$)|\.pyc$|\.tar\.gz$")
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(COLLECTION_ROOT, "plugins", "modules"))
                 if name.endswith(".py"))
SHIPPED_FILES = ["README.md", "CHANGELOG.md", "COPYING", "requirements.txt", "meta/runtime.yml",
                 "meta/execution-environment.yml", "plugins/modules/ec2_security_group_egress_revoke.py",
                 "plugins/modules/ec2_security_group_egress_info.py", "docs/reference/ec2_security_group_egress_info_module.rst",
                 "plugins/modules/ec2_security_group_egress_restore.py", "plugins/callback/egress_review.py",
                 "plugins/plugin_utils/review.py", "plugins/action/ec2_security_group_egress_restore.py",
                 "plugins/doc_fragments/connection.py", "docs/guide.md", "plugins/plugin_utils/in_process.py",
                 "plugins/action/ec2_security_group_egress_revoke.py", "plugins/action/ec2_security_group_egress_info.py",
                 "docs/reference/ec2_security_group_egress_revoke_module.rst", "changelogs/changelog.yaml"]


def run(command, **kwargs):
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                               check=False, **kwargs)
    assert completed.returncode == 0, completed.stdout
    return completed.stdout


def tracked_files():
    listing = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=COLLECTION_ROOT)
    return [path for path in listing.split("\0") if path and os.path.exists(os.path.join(COLLECTION_ROOT, path))]


def members(tarball):
    with tarfile.open(tarball) as artifact:
        return [member.name for member in artifact.getmembers()]


def test_artifact_leaves_out_development_files_even_when_present(tmp_path):
    checkout = tmp_path / "checkout"
    for path in tracked_files():
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(COLLECTION_ROOT, path), checkout / path)
    for path in DEVELOPMENT_FILES:
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_text("development only\n")

    shipped = members(build_collection(str(checkout), str(tmp_path / "dist")))

    assert [name for name in shipped if DEVELOPMENT_PATTERN.search(name)] == []
    assert set(SHIPPED_FILES) <= set(shipped)


def test_built_artifact_of_the_checkout_has_no_development_files(built_collection):
    tarball, _collections_path = built_collection
    assert [name for name in members(tarball) if DEVELOPMENT_PATTERN.search(name)] == []


def test_changelog_lints():
    assert run([tool("antsibull-changelog"), "lint"], cwd=COLLECTION_ROOT).strip() == ""


def test_changelog_covers_the_galaxy_version():
    """The galaxy version is released in the changelog, or its changes wait as fragments."""
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml")) as handle:
        version = yaml.safe_load(handle)["version"]
    with open(os.path.join(COLLECTION_ROOT, "changelogs", "changelog.yaml")) as handle:
        releases = yaml.safe_load(handle)["releases"]
    with open(os.path.join(COLLECTION_ROOT, "CHANGELOG.md")) as handle:
        rendered = handle.read()
    assert all("v%s" % released.replace(".", "\\.") in rendered for released in releases)
    fragments = [name for name in os.listdir(os.path.join(COLLECTION_ROOT, "changelogs", "fragments"))
                 if name.endswith((".yml", ".yaml"))]
    assert version in releases or fragments


def test_reference_docs_are_generated_from_the_modules(built_collection, tmp_path):
    _tarball, collections_path = built_collection
    generated = tmp_path / "reference"
    generate_reference(collections_path, str(generated))
    comparison = filecmp.dircmp(str(generated), REFERENCE_DIR)
    stale = comparison.diff_files + comparison.left_only + comparison.right_only
    assert stale == [], "docs/reference is out of date: run `make docs` (%s)" % ", ".join(stale)


@pytest.mark.parametrize("plugin, expected", [
    (["netguard.aws.ec2_security_group_egress_restore"], ["revoked", "from_journal", "journal", "revoke_rate", "restored_rules", "already_present"]),
    (["-t", "callback", "netguard.aws.egress_review"], ["NETGUARD_AWS_REVIEW_DIR", "netguard_aws_egress_review",
                                                        "egress-review.json"]),
    (["netguard.aws.ec2_security_group_egress_revoke"], ["require_unused", "affected_interfaces", "affected_users",
                                                         "ecs:DescribeServices"]),
])
def test_ansible_doc_documents_the_plugin(built_collection, plugin, expected):
    _tarball, collections_path = built_collection
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path)
    completed = subprocess.run([tool("ansible-doc")] + plugin, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stdout
    assert [text for text in expected if text not in completed.stdout] == []


def test_collection_docs_lint(built_collection):
    _tarball, collections_path = built_collection
    installed = os.path.join(collections_path, "ansible_collections", "netguard", "aws")
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path,
                       PATH=os.path.dirname(tool("ansible-doc")) + os.pathsep + os.environ.get("PATH", ""))
    run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."], cwd=installed, env=environment)


def doc_playbooks(destination):
    """Every module's EXAMPLES and the guide's YAML recipes, as files for ansible-lint.

    The plays are written one after the other in one playbook: ansible-lint applies its rules to each play and task
    wherever it is, and checks the syntax of each playbook with an ansible-playbook run of its own. A recipe that is
    not a playbook (an inventory), or that YAML cannot read, has a file of its own, so that it cannot hide the others.
    """
    plays, paths, count = [], [], len(MODULES)
    for module_name in MODULES:
        examples = importlib.import_module("ansible_collections.netguard.aws.plugins.modules." + module_name).EXAMPLES
        plays.append("- name: EXAMPLES of %s\n  hosts: localhost\n  gather_facts: false\n  tasks:\n%s"
                     % (module_name, textwrap.indent(examples.strip("\n"), "    ")))
    with open(os.path.join(COLLECTION_ROOT, "docs", "guide.md")) as handle:
        recipes = re.findall(r"```yaml\n(.*?)```", handle.read(), re.S)
    assert recipes, "docs/guide.md has YAML recipes"
    for index, recipe in enumerate(recipes):
        content = read_plays(recipe)
        if content is not None and all(isinstance(play, dict) and ("hosts" in play or "import_playbook" in play)
                                       for play in content):
            plays.append(recipe.strip("\n"))
            count += len(content)
        elif content is not None:
            # Tasks, as a recipe shows one or two of them: linted as the tasks of a play.
            plays.append("- name: Tasks of recipe %d\n  hosts: localhost\n  gather_facts: false\n  tasks:\n%s"
                         % (index, textwrap.indent(recipe.strip("\n"), "    ")))
            count += 1
        else:
            paths.append(os.path.join(destination, "guide-recipe-%d.yml" % index))
            with open(paths[-1], "w") as handle:
                handle.write("---\n" + recipe)
    playbook = "---\n" + "\n\n".join(plays) + "\n"
    assert len(read_plays(playbook)) == count, "the plays, all of them and nothing more"
    paths.append(os.path.join(destination, "doc-playbooks.yml"))
    with open(paths[-1], "w") as handle:
        handle.write(playbook)
    return paths


def read_plays(text):
    """The list that YAML reads ``text`` as (the plays of a playbook); None for anything else."""
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return content if isinstance(content, list) else None


def test_ansible_lint_production_profile(built_collection):
    _tarball, collections_path = built_collection
    # Inside the project (build/ is ignored by git), so that ansible-lint applies the project's configuration.
    destination = os.path.join(COLLECTION_ROOT, "build", "lint-%d" % os.getpid())
    os.makedirs(destination, exist_ok=True)
    try:
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, NO_COLOR="1",
                           PATH=os.path.dirname(tool("ansible")) + os.pathsep + os.environ.get("PATH", ""))
        # The collection's own YAML too (meta/, the execution environment definitions): what Galaxy's import lints.
        output = run([tool("ansible-lint"), "--profile", "production", "meta", "tests/execution_environment",
                      "tests/integration/targets", "demo/playbook.yml"]
                     + [os.path.relpath(path, COLLECTION_ROOT) for path in doc_playbooks(destination)],
                     cwd=COLLECTION_ROOT, env=environment)
    finally:
        shutil.rmtree(destination)
    assert "Profile 'production' was required, and it passed" in output


@pytest.fixture
def builder_context(built_collection, tmp_path):
    tarball, _collections_path = built_collection
    definition_dir = os.path.join(COLLECTION_ROOT, "tests", "execution_environment")
    shutil.copy2(os.path.join(definition_dir, "execution-environment.yml"), str(tmp_path))
    shutil.copy2(tarball, str(tmp_path / "netguard-aws.tar.gz"))
    context = tmp_path / "context"
    run([tool("ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context),
         "--output-filename", "Containerfile"],
        cwd=str(tmp_path))
    return context


def test_execution_environment_build_context_holds_the_collection(builder_context):
    containerfile = (builder_context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert (builder_context / "_build" / "collections" / "netguard-aws.tar.gz").is_file()
    requirements = yaml.safe_load((builder_context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"] == [{"name": "collections/netguard-aws.tar.gz", "type": "file"}]


def test_execution_environment_gets_the_collection_python_requirements(built_collection):
    _tarball, collections_path = built_collection
    output = run([tool("ansible-builder"), "introspect", collections_path])
    assert re.search(r"boto3>=1\.35\.52.*# from collection netguard\.aws", output), output
    assert re.search(r"botocore>=1\.35\.52.*# from collection netguard\.aws", output), output


def test_galaxy_importer_reports_no_warning(built_collection, tmp_path):
    """Galaxy's own import checks on the artifact. Its optional linters are left to the stricter runs of the same
    tools here: flake8's to sanity's pep8 and pylint, ansible-lint's to the production profile above."""
    tarball, _collections_path = built_collection
    config = tmp_path / "galaxy-importer.cfg"
    config.write_text("[galaxy-importer]\nRUN_FLAKE8 = False\nRUN_ANSIBLE_LINT = False\nRUN_ANSIBLE_TEST = False\n")
    environment = dict(os.environ, GALAXY_IMPORTER_CONFIG=str(config),
                       PATH=os.path.dirname(tool("python")) + os.pathsep + os.environ.get("PATH", ""))
    output = run([tool("python"), "-m", "galaxy_importer.main", tarball], cwd=str(tmp_path), env=environment)
    assert "Importer processing completed successfully" in output, output
    assert [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line] == []
