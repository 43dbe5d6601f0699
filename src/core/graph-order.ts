// Orders and walks of a flow graph given as successor lists: depth-first walks (cycles and the back
// edges of loops) and a topological order. Shared by the graph build, its rules and the renderer.

/** Depth-first walk from `start` (successors in order); calls `onBack` for every edge to a step still
 * on the walk's path. Iterative: flows may have thousands of steps. */
function walk(
  start: string,
  next: Map<string, string[]>,
  state: Map<string, 'open' | 'done'>,
  onBack: (path: string[], target: string) => boolean | void,
): void {
  if (state.has(start)) {
    return;
  }
  state.set(start, 'open');
  const path: { name: string; child: number }[] = [{ name: start, child: 0 }];
  while (path.length > 0) {
    const top = path[path.length - 1];
    const targets = next.get(top.name)!;
    if (top.child >= targets.length) {
      state.set(top.name, 'done');
      path.pop();
      continue;
    }
    const target = targets[top.child++];
    if (state.get(target) === 'open') {
      if (
        onBack(
          path.map((p) => p.name),
          target,
        )
      ) {
        return;
      }
    } else if (!state.has(target)) {
      state.set(target, 'open');
      path.push({ name: target, child: 0 });
    }
  }
}

/** The first cycle found from any of `roots` (in order), as a path that ends where it begins. */
export function findCycle(roots: string[], next: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  let cycle: string[] | undefined;
  for (const root of roots) {
    walk(root, next, state, (names, target) => {
      cycle = [...names.slice(names.indexOf(target)), target];
      return true;
    });
    if (cycle) {
      return cycle;
    }
  }
  return undefined;
}

/** The edges that go back to a step on the current path of a depth-first walk from the entry:
 * without them the graph is acyclic. */
export function backEdges(entry: string, next: Map<string, string[]>): [string, string][] {
  const edges: [string, string][] = [];
  walk(entry, next, new Map(), (names, target) => {
    edges.push([names[names.length - 1], target]);
  });
  return edges;
}

/** Kahn's algorithm, ties broken by notebook order so diagnostics come out in a stable order. */
export function topologicalOrder(
  order: string[],
  next: Map<string, string[]>,
  parents: Map<string, string[]>,
): string[] {
  const position = new Map(order.map((n, i) => [n, i]));
  const remaining = new Map(order.map((n) => [n, parents.get(n)!.length]));
  const result: string[] = [];
  const ready = order.filter((n) => remaining.get(n) === 0);
  while (ready.length > 0) {
    if (ready.length > 1) {
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
    }
    const name = ready.shift()!;
    result.push(name);
    for (const target of next.get(name)!) {
      remaining.set(target, remaining.get(target)! - 1);
      if (remaining.get(target) === 0) {
        ready.push(target);
      }
    }
  }
  return result;
}
