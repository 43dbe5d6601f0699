// One prediction's line in the log: the text `JSON.stringify(record)` would give a PredictionRecord,
// built from parts that are JSON already. The server has the request's body text and the response's
// JSON text in hand (it sends that text as the answer), and a run's flow, endpoint, run and artifact
// digests are the same for every request, so none of them is serialised again per request: the
// record's cost in the log is a string concatenation (benchmark 8, bench/NOTES.md).

export interface LoggedPrediction {
  /** A prediction id (digits, '-', hex: nothing to escape). */
  id: string;
  /** `Date.toISOString()` (nothing to escape). */
  time: string;
  flow: string;
  endpoint: string;
  /** `Flow/runId`. */
  run: string;
  /** Name → sha256, as `ArtifactValues.digests` gives it (one object per set of names). */
  artifacts: Readonly<Record<string, string>>;
  /** The request as JSON text on one line (no '\n'), already redacted when `redacted` is given. */
  requestJson: string;
  redacted?: string[];
  /** The response's JSON text. */
  responseJson: string;
  status: number;
  /** A finite number. */
  latencyMs: number;
}

/** JSON texts of the strings and digest objects lines repeat: a served run has a handful of each. */
const quotedText = new Map<string, string>();
const digestsText = new WeakMap<object, string>();

function quoted(text: string): string {
  let json = quotedText.get(text);
  if (json === undefined) {
    if (quotedText.size >= 1000) {
      quotedText.clear(); // many runs served in turn (--follow): keep only the current ones
    }
    json = JSON.stringify(text);
    quotedText.set(text, json);
  }
  return json;
}

function digests(artifacts: Readonly<Record<string, string>>): string {
  let json = digestsText.get(artifacts);
  if (json === undefined) {
    json = JSON.stringify(artifacts);
    if (Object.isFrozen(artifacts)) {
      digestsText.set(artifacts, json); // a shared, unchangeable object: its text cannot go stale
    }
  }
  return json;
}

/** The record's JSON text, with the fields in PredictionRecord's order. */
export function predictionLine(p: LoggedPrediction): string {
  return (
    `{"id":"${p.id}","time":"${p.time}","flow":${quoted(p.flow)},"endpoint":${quoted(p.endpoint)},` +
    `"run":${quoted(p.run)},"artifacts":${digests(p.artifacts)},"request":${p.requestJson},` +
    (p.redacted ? `"redacted":${JSON.stringify(p.redacted)},` : '') +
    `"response":${p.responseJson},"status":${p.status},"latencyMs":${p.latencyMs}}`
  );
}
