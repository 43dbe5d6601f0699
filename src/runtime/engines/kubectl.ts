// `cellflow deploy --submit`: hand the manifests to the cluster of kubectl's current context. What is
// missing on this machine (kubectl, a context) is bad input, said plainly, not a stack trace.
import { spawnSync } from 'child_process';
import { UserInputError } from '../errors';

function kubectl(args: string[], input?: string) {
  return spawnSync('kubectl', args, { input, encoding: 'utf8', timeout: 60_000 });
}

/** kubectl's current context; none (or no kubectl) is bad input, said before anything is written. */
export function kubectlContext(): string {
  const context = kubectl(['config', 'current-context']);
  if (context.error && (context.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UserInputError(
      '--submit: kubectl is not on the PATH; install it, or write the manifests (-o FILE) and apply them elsewhere.',
    );
  }
  if (context.status !== 0) {
    throw new UserInputError(
      `--submit: kubectl has no current context (${context.stderr.trim() || 'kubectl config current-context failed'}); choose one with kubectl config use-context, or set KUBECONFIG.`,
    );
  }
  return context.stdout.trim();
}

/** `kubectl apply -f -` of the document; returns kubectl's own report (`... created`). */
export function kubectlApply(document: string, namespace?: string): string {
  const context = kubectlContext();
  const applied = kubectl(['apply', ...(namespace ? ['--namespace', namespace] : []), '-f', '-'], document);
  if (applied.status !== 0) {
    throw new UserInputError(
      `--submit: kubectl apply (context ${context}) failed: ${(applied.stderr || String(applied.error ?? '')).trim()}`,
    );
  }
  return applied.stdout;
}
