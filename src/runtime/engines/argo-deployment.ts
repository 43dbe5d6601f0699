// `cellflow deploy --engine argo` publishes the flow's code to the datastore before it writes the
// manifests, as Metaflow uploads its code package when it creates a workflow: the compiled module,
// the code package, the locked dependencies and the environment they were locked in. Every workflow
// the template starts (by hand or by its CronWorkflow) then makes its own run from that deployment,
// so a schedule needs no earlier run and each of its runs is a run of exactly the deployed code.
import type { Datastore } from '../datastore/datastore';
import { newRunId } from '../datastore/run-ids';
import { loadFlowSource } from '../loading/flow-source';
import type { DeploymentRecord } from '../records';
import { currentUser } from '../user';

export interface PublishedDeployment {
  record: DeploymentRecord;
  /** Capture's warnings (uncommitted files, a lockfile that drifted), for deploy to print. */
  warnings: string[];
}

/** A new deployment's id: a run id's form, so a flow's deployments sort by time. */
export function newDeploymentId(): string {
  return newRunId();
}

/**
 * Stores the notebook's (or .flow.ts's) code as deployment `deploymentId` of its flow. The id is made
 * by the caller, so the manifests that name it can be built (and refused) before anything is written.
 */
export async function publishDeployment(
  datastore: Datastore,
  inputPath: string,
  deploymentId: string,
  tags: string[] = [],
): Promise<PublishedDeployment> {
  // Loaded here, not with this module: `cellflow step` imports the engines, and the capture code
  // (isomorphic-git) would cost every task process its load time and heap.
  const { captureRunProvenance } = await import('../repro/capture/provenance');
  const source = loadFlowSource(inputPath);
  const flow = source.manifest.flow;
  const [typescript, javascript, captured] = await Promise.all([
    datastore.objects.put(Buffer.from(source.typescript)),
    datastore.objects.put(Buffer.from(source.javascript)),
    captureRunProvenance(datastore, {
      flow,
      // The git snapshot's ref is named after it: refs/cellflow/runs/<Flow>/<deploymentId>.
      runId: deploymentId,
      inputPath: source.inputPath,
      inputText: source.text,
      moduleFilename: source.moduleFilename,
      typescript: source.typescript,
    }),
  ]);
  const record: DeploymentRecord = {
    flow,
    deploymentId,
    user: currentUser(),
    tags: [...new Set(tags)],
    deployedAt: new Date().toISOString(),
    engine: 'argo',
    graph: source.manifest.graph,
    parameters: source.manifest.parameters,
    input: source.inputPath,
    module: {
      typescriptSha256: typescript.sha256,
      javascriptSha256: javascript.sha256,
      filename: source.moduleFilename,
    },
    ...captured.provenance,
  };
  datastore.writeDeployment(record);
  return { record, warnings: captured.warnings };
}
