// The Client API: read runs, steps, tasks and artifacts from the datastore, as Metaflow's client does.
export { defaultNamespace, getDatastore, namespace, setDatastore } from './context';
export { Flow, type RunFilter } from './flow';
export { checkTag, Run } from './run';
export { Step } from './step';
export { Task } from './task';
