// Handing a flow to the engines teams already run: Argo Workflows manifests and the commands their
// pods run, and scheduled Slurm runs in the user's scrontab (a Slurm run itself is chosen through
// `runFlow`'s engine option, in ../execution).
export { argoDocument, argoManifests, DEFAULT_S3_SECRET, type ArgoOptions } from './argo-manifest';
export { beatArgoRun, finishRun, startRun, type RunTemplate } from './argo-run';
export { newDeploymentId, publishDeployment } from './argo-deployment';
export { foreachJoinInputs, writeArgoOutputs } from './argo-step';
export { kubectlApply, kubectlContext } from './kubectl';
export { cellflowCommand } from './slurm';
export {
  cronBlock,
  cronJob,
  cronJobName,
  flowBlock,
  readCrontab,
  withFlowBlock,
  writeCrontab,
  type CronEntry,
} from './scrontab';
