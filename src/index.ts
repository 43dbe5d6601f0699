// The package root: what `import ... from 'cellflow'` gives.

// Client API: Flow, Run, Step, Task, namespace.
export * from './client';
