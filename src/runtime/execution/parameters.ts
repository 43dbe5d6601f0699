// `--param name=value` on the command line, checked against the flow's declared parameters and
// converted to their types.
import type { JsonValue, Parameter } from '../../core/model';
import { UserInputError } from '../errors';

export function resolveParams(
  declared: Parameter[],
  overrides: string[],
  where: string,
): Record<string, JsonValue> {
  const values: Record<string, JsonValue> = {};
  for (const parameter of declared) {
    values[parameter.name] = parameter.default;
  }
  for (const assignment of overrides) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new UserInputError(`--param ${assignment}: expected name=value.`);
    }
    const name = assignment.slice(0, eq);
    const raw = assignment.slice(eq + 1);
    const parameter = declared.find((p) => p.name === name);
    if (!parameter) {
      const known = declared.map((p) => p.name).join(', ') || 'none';
      throw new UserInputError(
        `--param ${name}: ${where} declares no parameter '${name}' (its parameters: ${known}).`,
      );
    }
    values[name] = convert(parameter, raw);
  }
  return values;
}

function convert(parameter: Parameter, raw: string): JsonValue {
  const fail = (expected: string) =>
    new UserInputError(
      `--param ${parameter.name}=${raw}: expected ${expected} (declared in cell ${parameter.cell.index}, id ${parameter.cell.id}, line ${parameter.line}).`,
    );
  switch (parameter.type) {
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) {
        throw fail('a number');
      }
      return value;
    }
    case 'boolean': {
      // What people type: true/false, 1/0, yes/no, in any case.
      const word = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(word)) {
        return true;
      }
      if (['false', '0', 'no'].includes(word)) {
        return false;
      }
      throw fail('true or false (also 1/0, yes/no)');
    }
    case 'string':
      return raw;
    case 'json':
      // `null` means "optional, no value": any value may be given, JSON when it parses, else text.
      if (parameter.default === null) {
        try {
          return JSON.parse(raw) as JsonValue;
        } catch {
          return raw;
        }
      }
      try {
        const value = JSON.parse(raw) as JsonValue;
        const want = Array.isArray(parameter.default) ? 'array' : 'object';
        if ((want === 'array') !== Array.isArray(value) || value === null || typeof value !== 'object') {
          throw new Error();
        }
        return value;
      } catch {
        throw fail(`JSON ${Array.isArray(parameter.default) ? 'array' : 'object'}`);
      }
  }
}

/** `cellflow run NB --list-params`: each parameter with its type, default and help text. */
export function describeParameters(declared: Parameter[], notebook: string): string {
  if (declared.length === 0) {
    return `${notebook} declares no parameters.\n`;
  }
  const rows = declared.map((p) => ({
    option: `--param ${p.name}=${p.type === 'json' && p.default === null ? 'VALUE' : p.type.toUpperCase()}`,
    about: [p.help, `default ${JSON.stringify(p.default)}`].filter(Boolean).join('; '),
  }));
  const width = Math.max(...rows.map((r) => r.option.length));
  return [
    `Parameters of ${notebook} (from its parameters cell; set with --param name=value):`,
    ...rows.map((r) => `  ${r.option.padEnd(width)}  ${r.about}`),
    '',
  ].join('\n');
}
