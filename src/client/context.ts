// Which datastore and which namespace the Client API reads. Like Metaflow, the default namespace is
// the current user: `flow.runs()` lists your runs; `namespace(null)` lists everyone's.
import { currentUser, Datastore } from '../runtime';

let pinned: Datastore | undefined;
/** undefined: the default (the current user); null: all users. */
let activeNamespace: string | null | undefined;

/** Reads from `root` (or a Datastore) from now on; with no argument, back to $CELLFLOW_HOME / the project's .cellflow. */
export function setDatastore(root?: string | Datastore): void {
  pinned = root === undefined ? undefined : typeof root === 'string' ? Datastore.open({ root }) : root;
}

/** The datastore the client reads: the one set with setDatastore, else opened afresh (so CELLFLOW_HOME is honoured). */
export function getDatastore(): Datastore {
  return pinned ?? Datastore.open();
}

/**
 * Sets the namespace when given an argument (a user name, or null for all users) and returns the
 * active one. Runs addressed by pathspec (`Run.get('Flow/id')`) are readable in any namespace.
 */
export function namespace(...args: [user?: string | null]): string | null {
  if (args.length > 0) {
    activeNamespace = args[0];
  }
  return activeNamespace === undefined ? currentUser() : activeNamespace;
}

/** Back to the default namespace, the current user; returns it. */
export function defaultNamespace(): string {
  activeNamespace = undefined;
  return currentUser();
}

/**
 * Whether a run is visible in the active namespace: all (null), a user as Metaflow writes it
 * (`user:alice`, or the bare name), or any other `key:value` namespace as a tag the run carries.
 */
export function inNamespace(user: string, tags: string[] = []): boolean {
  const active = namespace();
  if (active === null) {
    return true;
  }
  if (active.startsWith('user:')) {
    return active.slice('user:'.length) === user;
  }
  if (active.includes(':')) {
    return tags.includes(active);
  }
  return active === user;
}
