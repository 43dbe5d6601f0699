"""Metaflow twin of the parity case nested_foreach on the nested-foreach graph."""
from metaflow import FlowSpec, step


class ParityNestedForeach(FlowSpec):
    @step
    def start(self):
        self.next(self.foreach_split_x)

    @step
    def foreach_split_x(self):
        self.x = "abc"
        self.next(self.foreach_split_y, foreach="x")

    @step
    def foreach_split_y(self):
        self.y = "de"
        self.next(self.foreach_split_z, foreach="y")

    @step
    def foreach_split_z(self):
        self.z = "fghijk"
        self.next(self.foreach_inner, foreach="z")

    @step
    def foreach_inner(self):
        x, y, z = self.foreach_stack()
        assert (len(self.x), len(self.y), len(self.z)) == (x[1], y[1], z[1])
        self.combo = x[2] + y[2] + z[2]
        self.next(self.foreach_join_z)

    @step
    def foreach_join_z(self, inputs):
        self.combos = [i.combo for i in inputs]
        self.next(self.foreach_join_y)

    @step
    def foreach_join_y(self, inputs):
        self.combos = [c for i in inputs for c in i.combos]
        self.next(self.foreach_join_x)

    @step
    def foreach_join_x(self, inputs):
        self.combos = sorted(c for i in inputs for c in i.combos)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParityNestedForeach()
