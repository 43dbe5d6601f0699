"""Metaflow twin of the parity case basic_foreach on the simple-foreach graph (test/parity/cases.ts)."""
from metaflow import FlowSpec, step

ARR = [26, 5, 10, 15, 25, 11, 22, 6, 19, 12, 16, 9, 28, 14, 24, 20, 30, 1, 13, 18, 2, 17, 21, 3, 29, 4, 27, 31, 8, 23, 0, 7]


class ParityBasicForeach(FlowSpec):
    @step
    def start(self):
        self.next(self.foreach_split)

    @step
    def foreach_split(self):
        self.my_index = None
        self.arr = list(ARR)
        self.next(self.foreach_inner_first, foreach="arr")

    def _inner(self):
        if self.my_index is None:
            self.my_index = self.index
        assert self.my_index == self.index
        assert self.input == self.arr[self.index]
        self.my_input = self.input

    @step
    def foreach_inner_first(self):
        self._inner()
        self.next(self.foreach_inner_second)

    @step
    def foreach_inner_second(self):
        self._inner()
        self.next(self.foreach_join)

    @step
    def foreach_join(self, inputs):
        self.got = [i.my_input for i in inputs]
        assert self.got == ARR
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParityBasicForeach()
