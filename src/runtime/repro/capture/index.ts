// What a run records so it can be reproduced: data inputs read, the dependency lockfile and its drift,
// the installed cellflow. Used by the kernel for interactive runs; flow runs capture inside the runtime.
export { emptyReadLog, recordReads, type ReadLog } from './read-recorder';
export { captureInputs, projectRootOf } from './data-inputs';
export { cellflowRoot, cellflowVersion } from './package-version';
