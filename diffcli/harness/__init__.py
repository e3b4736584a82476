"""The harness: prepares a point once, runs any method of the registry with its time limit, catch-all and
timing, and scores it with one error function.  Every task runs its methods through here."""

from diffcli.harness.point import (
                                   REFERENCE_TIME_LIMIT,
                                   Prepared,
                                   prepare,
                                   reference_or_error,
                                   reference_within_limit,
)
from diffcli.harness.running import (
                                   METHOD_TIME_LIMIT,
                                   MethodTimeout,
                                   Outcome,
                                   check_step,
                                   deadline,
                                   median_seconds,
                                   run_method,
                                   run_timed,
                                   warm_median_seconds,
)
from diffcli.harness.score import errors, relative_error

__all__ = ["REFERENCE_TIME_LIMIT", "Prepared", "prepare", "reference_or_error", "reference_within_limit",
           "METHOD_TIME_LIMIT", "MethodTimeout", "Outcome", "check_step", "deadline", "median_seconds",
           "run_method", "run_timed", "warm_median_seconds", "errors", "relative_error"]
