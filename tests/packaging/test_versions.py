"""The version matrix (tests/matrix/versions.toml) is well formed, used by make test, and documented."""

from ansible.release import __version__ as ansible_core_version

from ..matrix import docs, load, run


def minor(version):
    return tuple(int(part) for part in version.split(".")[:2])


def test_one_release_per_minor_version_from_2_16_to_2_22():
    releases, _default = load()
    minors = [minor(release["ansible_core"]) for release in releases]
    assert minors == [(2, minor_version) for minor_version in range(16, 23)]
    for release in releases:
        assert release["controller_python"] in release["controller_pythons"]
        assert set(release["controller_pythons"]) <= {"3.11", "3.12", "3.13"}


def test_make_test_runs_the_default_the_newest_release_on_python_3_11():
    releases, default = load()
    assert default is [release for release in releases if "3.11" in release["controller_pythons"]][-1]
    assert ansible_core_version == default["ansible_core"]


def test_supported_versions_tables_are_current():
    for path, text in docs.expected().items():
        with open(path) as handle:
            assert handle.read() == text, "%s is out of date: run make docs" % path


def test_matrix_counts_tests_from_pytest_closing_line():
    output = "....\n= 3 failed, 40 passed, 2 skipped, 1 error in 9.10s =\n"
    assert run.pytest_counts(output) == {"passed": 40, "failed": 4, "skipped": 2}
    assert run.pytest_counts("ImportError while loading conftest\n") == {"passed": 0, "failed": 0, "skipped": 0}
