// Running flows: a whole run or resume on this machine (or handed to an engine), one task by itself
// (`cellflow step`), and the live console output of a run.
export { runFlow, resumeRun, type EngineChoice, type RunOptions, type RunResult } from './run';
export { ConsoleReporter, type RunReporter } from './run-output';
export { RunEventReporter } from './run-events';
export { DEFAULT_MAX_ITERATIONS } from './scheduler';
export { runTask, type TaskOutcome } from './task-runner';
export { taskSpecForStep, type StepCommandArgs } from './step-command';
export { runWorkdir, type RunWorkdir } from './run-workdir';
export { describeParameters, resolveParams } from './parameters';
