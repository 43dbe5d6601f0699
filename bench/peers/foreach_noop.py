"""Metaflow twin of bench/flows/foreach_noop.ipynb: a foreach over `tasks` no-op tasks."""
from metaflow import FlowSpec, Parameter, step


class BenchForeachFlow(FlowSpec):
    tasks = Parameter("tasks", default=200, type=int)

    @step
    def start(self):
        self.items = list(range(self.tasks))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        # no-op: the task starts, gets its input and records itself
        self.next(self.join)

    @step
    def join(self, inputs):
        self.count = len(list(inputs))
        self.next(self.end)

    @step
    def end(self):
        print(f"joined {self.count} tasks")


if __name__ == "__main__":
    BenchForeachFlow()
