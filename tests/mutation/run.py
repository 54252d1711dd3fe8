"""``make mutation``: how many wrong versions of the pure logic the fast unit tests notice.

mutmut (``requirements.txt`` here) makes each mutant of the files in ``SCOPE``, one small
change to one function, and runs the tests of ``tests/unit/plugins/module_utils`` (no endpoint)
against it. It works in ``.mutation/``, where the checkout is laid out as
``ansible_collections/netguard/aws`` so that the tests import the mutants under the names the
collection has. Its cache there keeps mutmut's verdicts while the code and the tests stay as they
were (a change anywhere can change any verdict: a function's mutants may be killed only through a
caller): a run after measuring some files (``FILES=``), or after an interrupted run, tests only what is
left; any change to ``plugins/`` or ``tests/`` makes the next run test every mutant again.

mutmut switches mutants in and out behind a trampoline, which cannot see what code does at
import. So every mutant that survives it is tried again as a real edit of the file, in a fresh
pytest process on a copy of the tree; only one that survives that too counts as a survivor.
Mutants listed in ``equivalent.yml``, each checked to still be the mutant described there, are
left out of the score: score = killed / (mutants - equivalent).

Usage: ``python -m tests.mutation.run [--fresh] [--fail-under 95] [rules.py ...]`` with the
Python of ``.venv-mutation`` (``make mutation FILES="rules.py"``). Prints a table per file and
every survivor's diff; exits non-zero when a file scores below ``--fail-under``.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, ".mutation")
COLLECTION = os.path.join("ansible_collections", "netguard", "aws")
PACKAGE = "ansible_collections.netguard.aws.plugins.module_utils."
TESTS = "tests/unit/plugins/module_utils"
EQUIVALENT = os.path.join(ROOT, "tests", "mutation", "equivalent.yml")

# The files measured, with the functions that are left out of the score: the parts that talk to a
# clock, a file or botocore rather than compute (they are tested against moto and files elsewhere).
SCOPE = {
    "rules.py": (),
    "selector.py": (),
    "request.py": (),
    "formatting.py": (),
    "impact.py": (),
    "restore_request.py": (),
    "plan.py": (),
    "guards.py": (),
    "results.py": (),
    "pacing.py": (),
    "journal.py": ("_quoted_path", "_now", "read_journal", "open_journal", "Journal"),
    "permissions.py": (),
    "replace_request.py": (),
    "replace_guard.py": (),
    "addresses.py": (),
    "events.py": (),
    "event_guard.py": (),
    # with_observed works on a region's flow log evidence: tested with flow log fixtures on moto.
    "observed.py": ("with_observed",),
}
KILLED = {1, 3, 24, -24, 36, 152, 255, -9, -11}
# Exit codes of pytest that mean the tests ran and something failed (2: an error while collecting; 4: a conftest
# could not be imported, as when a mutant breaks an argument spec that a module builds at import). The unmutated
# tree passes before any mutant is tried, so these come from the mutant.
FAILED = {1, 2, 3, 4}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="*", metavar="FILE", help="files of SCOPE to measure (default: all)")
    parser.add_argument("--fresh", action="store_true", help="forget the cache of earlier runs")
    parser.add_argument("--fail-under", type=float, default=95.0, metavar="PERCENT")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quick", action="store_true",
                        help="take mutmut's survivors as they are, without trying them as real edits (while writing tests)")
    args = parser.parse_args(argv)
    files = args.files or list(SCOPE)
    unknown = sorted(set(files) - set(SCOPE))
    if unknown:
        parser.error("not measured: %s; choose from %s" % (", ".join(unknown), ", ".join(SCOPE)))

    if args.fresh:
        shutil.rmtree(WORK, ignore_errors=True)
    lay_out(files)
    mutmut_run(files, args.jobs)
    verdicts = read_verdicts(files)
    listed = load_equivalent()
    survivors = [name for name, code in verdicts.items() if code not in KILLED]
    retried = (survivors_as_they_are if args.quick else retry_as_real_edits)(survivors, args.jobs)
    rows, survivors, stale = summarise(files, verdicts, retried, listed)
    print_report(rows, survivors, stale)
    low = [row[0] for row in rows if row[-1] < args.fail_under]
    if low:
        print("Below %.0f%%: %s" % (args.fail_under, ", ".join(low)))
        return 1
    return 0


def lay_out(files):
    """``.mutation/ansible_collections/netguard/aws``, whose code and tests are this checkout's, and mutmut's settings."""
    collection = os.path.join(WORK, COLLECTION)
    os.makedirs(collection, exist_ok=True)
    for name in ("plugins", "tests", "pytest.ini"):
        link = os.path.join(collection, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(ROOT, name), link)
    source = "%s/plugins" % COLLECTION.replace(os.sep, "/")
    settings = [
        "[mutmut]",
        "source_paths = %s" % source,
        "only_mutate =",
    ] + ["    %s/module_utils/%s" % (source, name) for name in files] + [
        "also_copy =",
        "    %s/tests" % COLLECTION.replace(os.sep, "/"),
        "    %s/pytest.ini" % COLLECTION.replace(os.sep, "/"),
        "pytest_add_cli_args_test_selection = %s/%s" % (COLLECTION.replace(os.sep, "/"), TESTS),
        "pytest_add_cli_args =",
        "    -p",
        "    no:cacheprovider",
        "",
    ]
    with open(os.path.join(WORK, "setup.cfg"), "w") as handle:
        handle.write("\n".join(settings))


def inputs_digest():
    """A digest of everything a verdict depends on: the collection's code and its tests (not this folder's)."""
    digest = hashlib.sha256()
    for top in ("plugins", "tests"):
        for folder, folders, names in os.walk(os.path.join(ROOT, top)):
            skip = ("__pycache__", "output", "mutation") if folder == os.path.join(ROOT, "tests") else ("__pycache__",)
            folders[:] = sorted(name for name in folders if name not in skip)
            for name in sorted(names):
                if name.endswith((".py", ".yml", ".ini")):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, ROOT).encode())
                    with open(path, "rb") as handle:
                        digest.update(hashlib.sha256(handle.read()).digest())
    with open(os.path.join(ROOT, "pytest.ini"), "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()


def mutmut_run(files, jobs):
    """mutmut's run, its verdicts kept only while the code and tests are unchanged; survivors are always tried again."""
    digest_path = os.path.join(WORK, "inputs.sha256")
    digest = inputs_digest()
    unchanged = False
    if os.path.exists(digest_path):
        with open(digest_path) as handle:
            unchanged = handle.read() == digest
    for path in meta_files(SCOPE):
        if os.path.exists(path):
            with open(path) as handle:
                meta = json.load(handle)
            meta["exit_code_by_key"] = dict(
                (name, code if unchanged and code in KILLED else None) for name, code in meta["exit_code_by_key"].items())
            with open(path, "w") as handle:
                json.dump(meta, handle)
    for path in meta_files(files):
        # A run that did not measure a file left an unmutated copy of it, newer than the source, which mutmut
        # would take as already mutated: remove it, and mutmut mutates the file again (keeping its verdicts).
        copy = path[:-len(".meta")]
        if os.path.exists(copy):
            with open(copy) as handle:
                if "# mutmut generated" not in handle.read():
                    os.remove(copy)
    # Which tests reach which function is measured again each run (one pass of the tests): mutmut
    # measures only new tests otherwise, so functions measured for the first time would have none.
    stats = os.path.join(WORK, "mutants", "mutmut-stats.json")
    if os.path.exists(stats):
        os.remove(stats)
    # The verdicts written from now on are of these inputs, even if this run is interrupted.
    with open(digest_path, "w") as handle:
        handle.write(digest)
    mutmut = os.path.join(os.path.dirname(sys.executable), "mutmut")
    log = os.path.join(WORK, "mutmut.log")
    print("mutmut run (its output: %s)" % os.path.relpath(log, ROOT), flush=True)
    with open(log, "w") as handle:
        code = subprocess.call([mutmut, "run", "--max-children", str(jobs)], cwd=WORK, stdout=handle,
                               stderr=subprocess.STDOUT)
    if code:
        with open(log) as handle:
            sys.exit("mutmut run failed (exit %d):\n%s" % (code, handle.read()[-4000:]))


def meta_files(files):
    return [os.path.join(WORK, "mutants", COLLECTION, "plugins", "module_utils", name + ".meta") for name in files]


def read_verdicts(files):
    """{mutant name: mutmut's exit code} of every measured function of ``files``."""
    verdicts = {}
    for name, path in zip(files, meta_files(files)):
        with open(path) as handle:
            codes = json.load(handle)["exit_code_by_key"]
        left_out = SCOPE[name]
        for mutant, code in codes.items():
            if function_of(mutant) not in left_out:
                verdicts[mutant] = code
    return verdicts


def function_of(mutant):
    """The function or class a mutant changes: ``...pacing.xǁPacerǁwait__mutmut_3`` is in ``Pacer``."""
    mangled = mutant.rpartition(".")[2].partition("__mutmut_")[0]
    if mangled.startswith("x_"):
        return mangled[2:]
    return mangled.split("\u01c1")[1]


def short(mutant):
    return mutant[len(PACKAGE):] if mutant.startswith(PACKAGE) else mutant


def file_of(mutant):
    return short(mutant).partition(".")[0] + ".py"


def mutated_source(mutant, modules):
    """The module's source with the mutant written in, as a person would edit it; and the changed lines."""
    from mutmut.mutation import diff_apply

    path = os.path.join(COLLECTION, "plugins", "module_utils", file_of(mutant))
    if path not in modules:
        modules[path] = diff_apply.read_orig_module(path)
    original_module = modules[path]
    functions = diff_apply.read_functions_from_index(mutant, path)
    if functions is None:
        # mutmut's index of where each function is does not match the file: read the whole mutated file.
        if ("mutants", path) not in modules:
            modules[("mutants", path)] = diff_apply.read_mutants_module(path)
        changed = diff_apply.read_mutant_function(modules[("mutants", path)], mutant)
    else:
        changed = functions[1]
    name = diff_apply.orig_function_and_class_names_from_key(mutant)[0]
    in_place = diff_apply.find_top_level_function_or_method(original_module, name)
    diff = diff_apply.get_diff_for_mutant(mutant, path=path)
    return original_module.deep_replace(in_place, changed.with_changes(leading_lines=in_place.leading_lines)).code, diff


def edits_of(mutants):
    """{mutant: (the module with the mutant written in, its diff)}."""
    cwd = os.getcwd()
    os.chdir(WORK)
    try:
        modules = {}
        return dict((mutant, mutated_source(mutant, modules)) for mutant in mutants)
    finally:
        os.chdir(cwd)


def survivors_as_they_are(mutants, jobs):
    print("Not trying the %d survivors again as real edits (--quick)" % len(mutants))
    return dict((mutant, (True, edit[1])) for mutant, edit in edits_of(mutants).items())


def retry_as_real_edits(mutants, jobs):
    """{mutant: (survived, diff)}: each mutant written into a copy of the tree and tested by a fresh pytest."""
    if not mutants:
        return {}
    edits = edits_of(mutants)
    print("Trying %d survivors again as real edits" % len(mutants), flush=True)
    trees = queue.Queue()
    for index in range(jobs):
        trees.put(copy_tree(index))
    results = {}

    def work(mutant):
        tree = trees.get()
        try:
            return mutant, survives(tree, mutant, edits[mutant][0])
        finally:
            trees.put(tree)

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for mutant, survived in pool.map(work, mutants):
            results[mutant] = (survived, edits[mutant][1])
    return results


def copy_tree(index):
    tree = os.path.join(WORK, "real-edits", str(index), COLLECTION)
    shutil.rmtree(os.path.dirname(os.path.dirname(os.path.dirname(tree))), ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "output", ".hypothesis")
    shutil.copytree(os.path.join(ROOT, "plugins"), os.path.join(tree, "plugins"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(tree, "tests"), ignore=ignore)
    shutil.copy2(os.path.join(ROOT, "pytest.ini"), tree)
    return tree


def survives(tree, mutant, source):
    path = os.path.join(tree, "plugins", "module_utils", file_of(mutant))
    with open(path) as handle:
        original = handle.read()
    with open(path, "w") as handle:
        handle.write(source)
    try:
        # The tree already ends in ansible_collections/netguard/aws, so the tests import it from its root.
        root = os.path.dirname(os.path.dirname(os.path.dirname(tree)))
        environment = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=root)
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", TESTS],
                               cwd=tree, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        with open(path, "w") as handle:
            handle.write(original)
    if code not in FAILED and code != 0:
        sys.exit("pytest could not run the tests for %s (exit %d)" % (mutant, code))
    return code == 0


def load_equivalent():
    with open(EQUIVALENT) as handle:
        entries = yaml.safe_load(handle) or []
    return dict((entry["mutant"], entry) for entry in entries)


def added_lines(diff):
    return [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]


def summarise(files, verdicts, retried, listed):
    """Per file (file, mutants, killed, survived, equivalent, score); the survivors; stale list entries."""
    counts = dict((name, [0, 0, 0, 0]) for name in files)
    survivors = []
    stale = []
    for mutant in sorted(verdicts):
        row = counts[file_of(mutant)]
        row[0] += 1
        survived, diff = retried.get(mutant, (False, ""))
        entry = listed.get(short(mutant))
        if not survived:
            row[1] += 1
        elif entry and entry["line"].strip() in added_lines(diff):
            row[3] += 1
        else:
            row[2] += 1
            survivors.append((mutant, diff))
            if entry:
                stale.append((short(mutant), "it is not the mutant described any more"))
    measured = set(short(mutant) for mutant in verdicts)
    for name, entry in listed.items():
        if file_of(PACKAGE + name) in files and name not in measured:
            stale.append((name, "there is no such mutant"))
    rows = []
    for name in files:
        generated, killed, survived, equivalent = counts[name]
        score = 100.0 * killed / (generated - equivalent) if generated > equivalent else 100.0
        rows.append((name, generated, killed, survived, equivalent, score))
    return rows, survivors, stale


def print_report(rows, survivors, stale):
    for mutant, diff in survivors:
        print("\nSurvived: %s\n%s" % (short(mutant), "\n".join(diff.splitlines()[2:])))
    for name, why in stale:
        print("equivalent.yml lists %s, but %s" % (name, why))
    header = ("FILE", "MUTANTS", "KILLED", "SURVIVED", "EQUIVALENT", "SCORE")
    lines = [header] + [row[:5] + ("%.1f%%" % row[5],) for row in rows]
    totals = [sum(row[column] for row in rows) for column in range(1, 5)]
    scored = totals[0] - totals[3]
    lines.append(("total",) + tuple(totals) + ("%.1f%%" % (100.0 * totals[1] / scored if scored else 100.0),))
    widths = [max(len(str(line[column])) for line in lines) for column in range(len(header))]
    print()
    for line in lines:
        print("  ".join(str(cell).ljust(width) if column == 0 else str(cell).rjust(width)
                        for column, (cell, width) in enumerate(zip(line, widths))))


if __name__ == "__main__":
    sys.exit(main())
