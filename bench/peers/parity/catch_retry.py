"""Metaflow twin of the parity case catch_retry on the single-linear-step graph."""
import sys

from metaflow import FlowSpec, catch, current, retry, step


class TestRetry(Exception):
    pass


class ExternalCommandFailed(Exception):
    pass


class ParityCatchRetry(FlowSpec):
    @retry(times=3, minutes_between_retries=0)
    @step
    def start(self):
        self.test_attempt = current.retry_count
        sys.stdout.write("stdout testing logs %d\n" % self.test_attempt)
        if self.test_attempt < 3:
            self.invisible = True
            raise TestRetry()
        self.next(self.a)

    @catch(var="ex", print_exception=False)
    @retry(times=2, minutes_between_retries=0)
    @step
    def a(self):
        self.retry_with_catch = current.retry_count
        raise TestRetry()
        self.next(self.end)

    @catch(var="end_ex", print_exception=False)
    @step
    def end(self):
        assert self.test_attempt == 3
        self.here = True
        raise ExternalCommandFailed("catch me!")


if __name__ == "__main__":
    ParityCatchRetry()
