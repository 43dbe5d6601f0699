// `import { Flow } from 'cellflow'` in a cell, wherever the notebook lives. tslab type-checks cells
// with its own TypeScript (module resolution from the kernel's working directory) and runs them with
// a `require` rooted there; neither would find this package outside its own tree. tslab solves the
// same problem for `import 'tslab'` by mapping `<cwd>/node_modules/tslab` to itself; the kernel maps
// `<cwd>/node_modules/cellflow` to this package the same way, unless the project has its own copy.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from './package-root';

const NAME = 'cellflow';

type Sys = {
  readFile(p: string, encoding?: string): string | undefined;
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readDirectory(p: string, ...rest: unknown[]): string[];
  getDirectories(p: string): string[];
  realpath?(p: string): string;
};

/** Maps `<cwd>/node_modules/cellflow/...` to this package for the type checker; call before tslab starts. */
export function installTypeResolution(cwd: string, ts: { sys: Sys }): void {
  const virtualRoot = path.join(cwd, 'node_modules', NAME);
  if (fs.existsSync(virtualRoot)) {
    return;
  } // the project's own cellflow wins
  const root = packageRoot();
  const forward = (p: string): string => {
    const rel = path.relative(virtualRoot, path.resolve(p));
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      return p;
    }
    return path.join(root, rel);
  };
  const sys = ts.sys;
  const readFile = sys.readFile.bind(sys);
  const fileExists = sys.fileExists.bind(sys);
  const directoryExists = sys.directoryExists.bind(sys);
  const readDirectory = sys.readDirectory.bind(sys);
  const getDirectories = sys.getDirectories.bind(sys);
  sys.readFile = (p, encoding) => readFile(forward(p), encoding);
  sys.fileExists = (p) => fileExists(forward(p));
  sys.directoryExists = (p) =>
    directoryExists(forward(p)) || path.resolve(p) === path.join(cwd, 'node_modules');
  sys.readDirectory = (p, ...rest) => readDirectory(forward(p), ...rest);
  sys.getDirectories = (p) => getDirectories(forward(p));
}

/** Wraps the `require` tslab gives cells so that 'cellflow' (and 'cellflow/core') load this package. */
export function installRequireResolution(cwd: string): void {
  const holder = (globalThis as { __tslab__?: { require: NodeJS.Require } }).__tslab__;
  if (!holder) {
    throw new Error("tslab's executor is not set up");
  }
  const own = fs.existsSync(path.join(cwd, 'node_modules', NAME));
  if (own) {
    return;
  }
  const original = holder.require;
  holder.require = new Proxy(original, {
    apply(target, thisArg, args: unknown[]) {
      const id = args[0];
      if (typeof id === 'string' && (id === NAME || id.startsWith(`${NAME}/`))) {
        // Node resolves a package's own name from inside it (self-reference through "exports").
        return require(id);
      }
      return Reflect.apply(target, thisArg, args);
    },
  });
}
