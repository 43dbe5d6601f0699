// The package root: what `import ... from 'cellflow'` gives.

// Client API: Flow, Run, Step, Task, namespace.
export * from './client';

// Types a compiled flow module (`NAME.flow.ts`) and step code refer to.
export type {
  FlowSteps,
  FlowEndpoints,
  EndpointFunction,
  FlowManifest,
  StepScope,
  StepFunction,
  FlowModule,
  Current,
  JoinInput,
} from './core/model';
