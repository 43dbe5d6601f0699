// Validates run.json, task.json and deployment records against schema/run.schema.json with ajv (JSON Schema 2020-12).
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as fs from 'fs';
import * as path from 'path';

const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema', 'run.schema.json');

function compile() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  ajv.addSchema(schema);
  const id: string = schema.$id;
  return {
    any: ajv.getSchema(id)!,
    run: ajv.getSchema(`${id}#/$defs/run`)!,
    task: ajv.getSchema(`${id}#/$defs/task`)!,
    deployment: ajv.getSchema(`${id}#/$defs/deployment`)!,
  };
}

let validators: ReturnType<typeof compile> | undefined;

/** The ajv errors for `record` as `kind` (run.json, task.json, a deployment, or any), or [] when it is valid. */
export function schemaErrors(kind: 'run' | 'task' | 'deployment' | 'any', record: unknown): string[] {
  validators ??= compile();
  const validate = validators[kind];
  if (validate(record)) {
    return [];
  }
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
  );
}
