// A notebook's schedule: `metadata.cellflow.schedule`, a cron expression that `cellflow deploy` hands
// to the engine (Slurm's scrontab, Argo's CronWorkflow) and `cellflow show` prints. Checked here only
// for its shape (five fields, or one @keyword both engines know): each engine parses the rest.
import type { JsonValue } from './model';

const KEYWORDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIELD = /^[0-9A-Za-z*,/-]+$/;

/** Why `schedule` is not a cron expression, or undefined when it is one. */
export function cronProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text.startsWith('@')) {
    return KEYWORDS.includes(text.toLowerCase())
      ? undefined
      : `'${schedule}' is not a cron keyword (${KEYWORDS.join(', ')})`;
  }
  const fields = text.split(/[ \t]+/);
  if (fields.length !== 5 || !fields.every((field) => FIELD.test(field))) {
    return `'${schedule}' is not a cron expression (five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *')`;
  }
  return undefined;
}

export type NotebookSchedule = { schedule?: string; problem?: string };

/** `metadata.cellflow.schedule` of a notebook's metadata: the schedule, or why it is not one. */
export function scheduleOf(metadata: Record<string, JsonValue> | undefined): NotebookSchedule {
  const settings = metadata?.cellflow;
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
    return {};
  }
  const schedule = settings.schedule;
  if (schedule === undefined) {
    return {};
  }
  if (typeof schedule !== 'string') {
    return { problem: 'metadata.cellflow.schedule must be a cron expression (a string)' };
  }
  const problem = cronProblem(schedule);
  return problem ? { problem: `metadata.cellflow.schedule: ${problem}` } : { schedule: schedule.trim() };
}
