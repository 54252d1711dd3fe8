"""make mutation's table: what counts as killed, survived and equivalent, and entries of the list that went stale."""

from tests.mutation.run import PACKAGE, function_of, summarise


def diff(added):
    return "--- a\n+++ b\n@@ -1 +1 @@\n-    return x\n+    %s" % added


def test_the_score_leaves_out_only_listed_mutants_that_still_match_their_line():
    verdicts = {PACKAGE + "rules.x_a__mutmut_1": 1, PACKAGE + "rules.x_a__mutmut_2": 0,
                PACKAGE + "rules.x_a__mutmut_3": 0, PACKAGE + "rules.x_a__mutmut_4": 0,
                PACKAGE + "rules.x_a__mutmut_5": 33}
    retried = {PACKAGE + "rules.x_a__mutmut_2": (False, diff("return y")),
               PACKAGE + "rules.x_a__mutmut_3": (True, diff("return None")),
               PACKAGE + "rules.x_a__mutmut_4": (True, diff("return z")),
               PACKAGE + "rules.x_a__mutmut_5": (True, diff("return w"))}
    listed = {"rules.x_a__mutmut_3": {"line": "return None", "why": "-"},
              "rules.x_a__mutmut_4": {"line": "return None", "why": "-"},
              "rules.x_a__mutmut_9": {"line": "return None", "why": "-"}}

    rows, survivors, stale = summarise(["rules.py"], verdicts, retried, listed)

    assert rows == [("rules.py", 5, 2, 2, 1, 50.0)]
    assert [mutant for mutant, _diff in survivors] == [PACKAGE + "rules.x_a__mutmut_4", PACKAGE + "rules.x_a__mutmut_5"]
    assert stale == [("rules.x_a__mutmut_4", "it is not the mutant described any more"),
                     ("rules.x_a__mutmut_9", "there is no such mutant")]


def test_a_mutant_is_scored_by_the_function_or_class_it_changes():
    assert function_of(PACKAGE + "journal.x_read_journal__mutmut_2") == "read_journal"
    assert function_of(PACKAGE + "pacing.x\u01c1Pacer\u01c1wait__mutmut_3") == "Pacer"
