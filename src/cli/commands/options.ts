// Option parsers shared by commands; invalid values are user errors (exit 2), reported by commander.
import { InvalidArgumentError } from 'commander';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value)) {
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  }
  return Number(value);
}

export function parseCount(value: string): number {
  const n = parseInteger(value);
  if (n < 1) {
    throw new InvalidArgumentError(`'${value}' must be at least 1.`);
  }
  return n;
}

/** `--isolation thread|process`: where each task of a step without an isolation: tag runs. */
export function parseIsolation(value: string): 'thread' | 'process' {
  if (value !== 'thread' && value !== 'process') {
    throw new InvalidArgumentError(
      `'${value}' is not an isolation: thread (a fresh worker thread per task, the default) or process (a fresh OS process per task).`,
    );
  }
  return value;
}
