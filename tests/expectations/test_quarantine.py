"""Which account-days an ERROR rule quarantines, and when a day is held back whole (expectations/quarantine.py).
End to end, on both warehouses: tests/e2e/test_quarantine.py."""

from expectations import rules as R
from expectations.quarantine import QuarantinedRule, decide

NEGATIVE_A = QuarantinedRule("a", R.COUNTS_NOT_NEGATIVE, 2)
REACH_B = QuarantinedRule("b", R.REACH_WITHIN_VIEWS, 1)


def test_nothing_failed_quarantines_nothing():
    assert decide(set(), {"a", "b"}, []) == []


def test_the_accounts_that_fail_alone_are_quarantined_while_one_stays_clean():
    failed = {R.COUNTS_NOT_NEGATIVE, R.REACH_WITHIN_VIEWS}
    assert decide(failed, {"a", "b", "c"}, [NEGATIVE_A, REACH_B]) == [NEGATIVE_A, REACH_B]


def test_a_rule_no_account_fails_alone_holds_the_day_back():
    # e.g. the same key in two accounts' files: each account alone is clean
    assert decide({R.KEYS_UNIQUE_NOT_NULL}, {"a", "b"}, []) is None
    assert decide({R.KEYS_UNIQUE_NOT_NULL, R.COUNTS_NOT_NEGATIVE}, {"a", "b"}, [NEGATIVE_A]) is None


def test_when_every_account_is_bad_the_day_is_held_back():
    assert decide({R.COUNTS_NOT_NEGATIVE}, {"a"}, [NEGATIVE_A]) is None
    assert decide({R.COUNTS_NOT_NEGATIVE, R.REACH_WITHIN_VIEWS}, {"a", "b"}, [NEGATIVE_A, REACH_B]) is None
