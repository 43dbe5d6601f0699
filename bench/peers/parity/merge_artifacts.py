"""Metaflow twin of the parity case merge_artifacts on the single-and-branch graph."""
from metaflow import FlowSpec, current, step
from metaflow.exception import MetaflowException


class ParityMergeArtifacts(FlowSpec):
    @step
    def start(self):
        self.non_modified_passdown = "a"
        self.modified_to_same_value = "b"
        self.manual_merge_required = "c"
        self.ignore_me = "d"
        self.next(self.a, self.b)

    def _modify(self):
        self.manual_merge_required = current.task_id
        self.ignore_me = current.task_id
        self.modified_to_same_value = "e"

    @step
    def a(self):
        self._modify()
        self.next(self.join)

    @step
    def b(self):
        self._modify()
        self.next(self.join)

    @step
    def join(self, inputs):
        failures = []
        for kwargs in ({}, {"exclude": ["ignore_me"], "include": ["non_modified_passdown"]}):
            try:
                self.merge_artifacts(inputs, **kwargs)
            except MetaflowException:
                failures.append(hasattr(self, "non_modified_passdown") or hasattr(self, "manual_merge_required"))
        self.failures_left_something_set = failures
        self.manual_merge_required = current.task_id
        self.merge_artifacts(inputs, exclude=["ignore_me"])
        self.next(self.end)

    @step
    def end(self):
        try:
            self.merge_artifacts([])
            self.outside_join_throws = False
        except MetaflowException:
            self.outside_join_throws = True
        self.has_ignore_me = hasattr(self, "ignore_me")


if __name__ == "__main__":
    ParityMergeArtifacts()
