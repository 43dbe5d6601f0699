// Task ids of a flow run on Argo: fixed by position, not by planning order, so every pod can name its
// parents' tasks without being told. A step outside any foreach is task `t`; element i of a foreach
// whose split is task T is `T-i` (nested: `t-2-0`). Shared by the manifest and `cellflow step`.

export const ROOT_TASK_ID = 't';

export function elementTaskId(splitTaskId: string, index: number | string): string {
  return `${splitTaskId}-${index}`;
}

/** The parents of a foreach join: the body's last step at every element of the split task. */
export function foreachJoinInputPaths(lastBodyStep: string, taskId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${lastBodyStep}/${elementTaskId(taskId, i)}`);
}

/** Where `cellflow step --argo-outputs DIR` leaves what the workflow reads back as output parameters. */
export const ARGO_OUTPUTS = {
  /** A foreach split: the JSON list of element indexes (`withParam` fans out over it). */
  foreachIndexes: 'foreach-indexes.json',
  /** A switch: the name of the case taken (its successors' `when` compares with it). */
  switchCase: 'switch-case',
} as const;
