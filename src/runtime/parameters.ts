// `--param name=value` on the command line, checked against the flow's declared parameters and
// converted to their types.
import type { JsonValue, Parameter } from '../core/model';
import { UserInputError } from './errors';

export function resolveParams(
  declared: Parameter[],
  overrides: string[],
  where: string,
): Record<string, JsonValue> {
  const values: Record<string, JsonValue> = {};
  for (const parameter of declared) values[parameter.name] = parameter.default;
  for (const assignment of overrides) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UserInputError(`--param ${assignment}: expected name=value.`);
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
      if (raw.trim() === '' || !Number.isFinite(value)) throw fail('a number');
      return value;
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw fail('true or false');
    case 'string':
      return raw;
    case 'json':
      try {
        const value = JSON.parse(raw) as JsonValue;
        const want = Array.isArray(parameter.default) ? 'array' : 'object';
        if ((want === 'array') !== Array.isArray(value) || value === null || typeof value !== 'object')
          throw new Error();
        return value;
      } catch {
        throw fail(`JSON ${Array.isArray(parameter.default) ? 'array' : 'object'}`);
      }
  }
}
