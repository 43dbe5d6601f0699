// The `parameters` cell (papermill's convention): each `const name = literal` line becomes a typed
// flow parameter with a default. Anything else in the cell is an error naming its line, because the
// flow could not reproduce what that code does.
import type * as TS from 'typescript';
import { typescript } from './typescript';

/** Set by the entry points below before any helper runs (see typescript.ts). */
let ts: typeof TS;
import type { CellRef, Diagnostic, JsonValue, Parameter, ParameterType } from './model';

export interface ParametersParse {
  parameters: Parameter[];
  diagnostics: Diagnostic[];
}

class NotALiteral extends Error {}

const PARAMETER_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The JSON value of a literal expression; throws NotALiteral for anything computed. */
function literalValue(node: TS.Expression): JsonValue {
  if (ts.isParenthesizedExpression(node)) {
    return literalValue(node.expression);
  }
  if (ts.isNumericLiteral(node)) {
    return Number(node.text);
  }
  if (
    ts.isPrefixUnaryExpression(node) &&
    (node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.PlusToken) &&
    ts.isNumericLiteral(node.operand)
  ) {
    const value = Number(node.operand.text);
    return node.operator === ts.SyntaxKind.MinusToken ? -value : value;
  }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return node.text;
  }
  if (node.kind === ts.SyntaxKind.TrueKeyword) {
    return true;
  }
  if (node.kind === ts.SyntaxKind.FalseKeyword) {
    return false;
  }
  if (node.kind === ts.SyntaxKind.NullKeyword) {
    return null;
  }
  if (ts.isArrayLiteralExpression(node)) {
    return node.elements.map((element) => {
      if (ts.isSpreadElement(element) || ts.isOmittedExpression(element)) {
        throw new NotALiteral();
      }
      return literalValue(element);
    });
  }
  if (ts.isObjectLiteralExpression(node)) {
    const object: Record<string, JsonValue> = {};
    for (const property of node.properties) {
      if (!ts.isPropertyAssignment(property)) {
        throw new NotALiteral();
      }
      const key = property.name;
      if (!(ts.isIdentifier(key) || ts.isStringLiteral(key) || ts.isNumericLiteral(key))) {
        throw new NotALiteral();
      }
      if (key.text === '__proto__') {
        throw new NotALiteral();
      }
      object[key.text] = literalValue(property.initializer);
    }
    return object;
  }
  throw new NotALiteral();
}

function typeOf(value: JsonValue): ParameterType {
  if (typeof value === 'number') {
    return 'number';
  }
  if (typeof value === 'string') {
    return 'string';
  }
  if (typeof value === 'boolean') {
    return 'boolean';
  }
  return 'json';
}

/** A `// comment` after the declaration on its own line: the parameter's help text. */
function trailingComment(file: TS.SourceFile, statement: TS.Statement): string | undefined {
  const text = file.text;
  const ranges = ts.getTrailingCommentRanges(text, statement.end) ?? [];
  const comment = ranges.find((r) => r.kind === ts.SyntaxKind.SingleLineCommentTrivia);
  const help = comment ? text.slice(comment.pos + 2, comment.end).trim() : '';
  return help || undefined;
}

/** Parameters declared in one `parameters` cell. */
export function parseParameters(source: string, cell: CellRef): ParametersParse {
  ts = typescript();
  let file: TS.SourceFile;
  try {
    file = ts.createSourceFile('parameters.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  } catch (error) {
    // Pathological nesting overflows the parser; the syntax check reports the cell.
    if (error instanceof RangeError) {
      return { parameters: [], diagnostics: [] };
    }
    throw error;
  }
  const lineOf = (node: TS.Node): number => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const parameters: Parameter[] = [];
  const diagnostics: Diagnostic[] = [];
  const fail = (line: number, message: string): void => {
    diagnostics.push({
      severity: 'error',
      rule: 'invalid-parameter',
      message,
      cell,
      line,
      hint: "A parameters cell holds only lines like `const name = 0.25`, `const label = 'x'`, `const flag = true` or a JSON array/object.",
    });
  };
  for (const statement of file.statements) {
    const line = lineOf(statement);
    const text = statement.getText(file).split('\n')[0].slice(0, 60);
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) {
      fail(
        line,
        `'${text}' is not a parameter: the parameters cell may only declare \`const name = literal\``,
      );
      continue;
    }
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.initializer) {
        fail(line, `'${text}' is not a parameter: declare one name with a literal value`);
        continue;
      }
      const name = declaration.name.text;
      if (!PARAMETER_NAME.test(name)) {
        fail(
          line,
          `parameter '${name}' must be named with ASCII letters, digits, '_' or '$' so that --param ${name}=... can set it`,
        );
        continue;
      }
      let value: JsonValue;
      try {
        value = literalValue(declaration.initializer);
      } catch (error) {
        if (!(error instanceof NotALiteral)) {
          throw error;
        }
        fail(
          line,
          `parameter '${name}' must have a literal default (number, string, boolean, or JSON array/object), not '${declaration.initializer.getText(file).slice(0, 40)}'`,
        );
        continue;
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        fail(line, `parameter '${name}' must be a finite number`);
        continue;
      }
      const help = trailingComment(file, statement);
      parameters.push({ name, type: typeOf(value), default: value, cell, line, ...(help ? { help } : {}) });
    }
  }
  return { parameters, diagnostics };
}
