// What the TypeScript compiler API tells us about one cell's code: syntax errors, imports to hoist,
// top-level bindings, the names it reads, `export`s, and which lines start inside a multi-line string
// or template literal (those must not be re-indented when the cell becomes a step function body).
import type * as TS from 'typescript';
import type { RequestField } from './model';
import { typescript } from './typescript';

/** Set by the entry points below before any helper runs (see typescript.ts). */
let ts: typeof TS;

export interface ImportRange {
  /** Character offsets of the import statement in the cell's source. */
  start: number;
  end: number;
  text: string;
}

export interface Located {
  name: string;
  /** 1-based line in the cell. */
  line: number;
}

/** How a top-level name is bound: `lexical` (let/const/class) may not be declared twice in one scope. */
export type BindingKind = 'lexical' | 'var' | 'function' | 'enum';

export interface TopLevelBinding extends Located {
  kind: BindingKind;
}

/** A `mergeArtifacts(inputs, { include | exclude })` call: literal lists, or `opaque` when not literal. */
export interface MergeCall {
  include?: string[];
  exclude?: string[];
  opaque: boolean;
}

/** One parameter of an exported function. */
export interface FunctionParameter {
  /** The identifier, when the parameter is one (not a destructuring pattern). */
  name?: string;
  /** Property names a destructuring pattern takes (`{ model, scaling }`). */
  destructured?: string[];
  /** The type annotation as written. */
  typeText?: string;
  /** Fields of an object-literal type annotation; a named type is resolved by the caller (`typeName`). */
  typeFields?: RequestField[];
  typeName?: string;
  rest: boolean;
  optional: boolean;
}

/** An exported function (`export function f` or `export const f = (...) =>`) and what it reads. */
export interface ExportedFunction {
  name: string;
  line: number;
  parameters: FunctionParameter[];
  /** Properties read from the second parameter (`artifacts.X`, `artifacts['X']`, `const { X } = artifacts`). */
  secondParameterReads: Located[];
  /** First line where the second parameter is used in another way (passed on, indexed by a variable). */
  secondParameterOpaqueLine?: number;
}

export interface CodeFacts {
  syntaxErrors: { line: number; message: string }[];
  imports: ImportRange[];
  /** Names the imports bind (shared by every step: imports are hoisted to the module). */
  importedNames: string[];
  /** Value bindings declared at the cell's top level (const/let/var, function, class, enum). */
  topLevel: TopLevelBinding[];
  /** Every name declared anywhere in the cell, at any depth: a read of one of these may be local. */
  declaredAnywhere: Set<string>;
  /** Identifiers read as values, with the first line each is read on. */
  reads: Map<string, number>;
  exportLines: number[];
  /** `await` and `return` outside any function: fine in a step body, not in the module's prelude. */
  topLevelAwaitLines: number[];
  topLevelReturnLines: number[];
  /** 1-based lines whose first character is inside a string or template literal. */
  literalContinuationLines: Set<number>;
  /** Artifacts assigned as `self.X = ...` (or `+=`, `++`, `self['X'] = ...`), first line each. */
  selfWrites: Map<string, number>;
  /** `self[expression] = ...` or `Object.assign(self, ...)`: writes the compiler cannot name. */
  selfDynamicWrite: boolean;
  /** `self.X` read (not only assigned), first line each: the undefined-artifact rule checks them. */
  selfReads: Map<string, number>;
  /** `self` used other than as `self.X` / `self[k]` (`f(self)`, `const s = self`), or declared by the
   * cell itself: what it reads or sets cannot be told, so the undefined-artifact rule stands back. */
  selfEscapes: boolean;
  mergeCalls: MergeCall[];
  exportedFunctions: ExportedFunction[];
  /** Offsets of `export` keywords the compiler strips from an endpoint cell's function. */
  exportKeywordOffsets: number[];
  /** Object types declared at the top level (`interface R {...}`, `type R = {...}`), by name. */
  objectTypes: Map<string, RequestField[]>;
  /** `Math.random()` calls: draws no seed controls (current.random() is seeded). */
  unseededRandomLines: number[];
  /** `Date.now()` and argument-less `new Date()`: the wall clock, which no reproduction repeats. */
  clockLines: number[];
}

const cache = new Map<string, CodeFacts>();
const CACHE_LIMIT = 2000;

/** Facts about one cell's source; memoised, since lint, graph and compiler all ask. */
export function analyzeCode(source: string): CodeFacts {
  const hit = cache.get(source);
  if (hit) {
    return hit;
  }
  const facts = computeFactsSafely(source);
  if (cache.size >= CACHE_LIMIT) {
    cache.clear();
  }
  cache.set(source, facts);
  return facts;
}

function emptyFacts(): CodeFacts {
  return {
    syntaxErrors: [],
    imports: [],
    importedNames: [],
    topLevel: [],
    declaredAnywhere: new Set(),
    reads: new Map(),
    exportLines: [],
    topLevelAwaitLines: [],
    topLevelReturnLines: [],
    literalContinuationLines: new Set(),
    selfWrites: new Map(),
    selfDynamicWrite: false,
    selfReads: new Map(),
    selfEscapes: false,
    mergeCalls: [],
    exportedFunctions: [],
    exportKeywordOffsets: [],
    objectTypes: new Map(),
    unseededRandomLines: [],
    clockLines: [],
  };
}

/** Pathological nesting (thousands of brackets) overflows the recursive parser: report, don't crash. */
function computeFactsSafely(source: string): CodeFacts {
  try {
    return computeFacts(source);
  } catch (error) {
    if (!(error instanceof RangeError)) {
      throw error;
    }
    return {
      ...emptyFacts(),
      syntaxErrors: [{ line: 1, message: 'the code is nested too deeply for the TypeScript parser' }],
    };
  }
}

function computeFacts(source: string): CodeFacts {
  ts = typescript();
  const file = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  // Lines are counted by '\n' only, as the compiler splits cells, so a U+2028 inside a string
  // cannot shift line numbers between lint messages and the generated module.
  const newlines: number[] = [];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) {
    newlines.push(i);
  }
  const lineOf = (offset: number): number => countBelow(newlines, offset) + 1;
  const facts: CodeFacts = {
    ...emptyFacts(),
    syntaxErrors: parseDiagnostics(file).map((d) => ({
      line: lineOf(d.start ?? 0),
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    })),
  };

  for (const statement of file.statements) {
    const line = lineOf(statement.getStart(file));
    if (isHoistableImport(statement)) {
      facts.imports.push({
        start: statement.getStart(file),
        end: statement.end,
        text: statement.getText(file),
      });
      facts.importedNames.push(...importBindings(statement));
      continue;
    }
    if (
      ts.isExportDeclaration(statement) ||
      ts.isExportAssignment(statement) ||
      (ts.canHaveModifiers(statement) &&
        (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    ) {
      facts.exportLines.push(line);
      collectExport(statement, file, lineOf, facts);
    }
    collectObjectType(statement, file, facts);
    for (const binding of topLevelBindings(statement, line)) {
      facts.topLevel.push(binding);
    }
  }

  const visit = (node: TS.Node, inFunction: boolean): void => {
    const nowInFunction = inFunction || ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node);
    if (ts.isIdentifier(node)) {
      if (isDeclarationName(node)) {
        facts.declaredAnywhere.add(node.text);
      } else if (isValueRead(node) && !facts.reads.has(node.text)) {
        facts.reads.set(node.text, lineOf(node.getStart(file)));
      }
      if (node.text === 'self' && isValueRead(node)) {
        collectSelfRead(node, lineOf(node.getStart(file)), facts);
      }
    } else if (isLiteralToken(node)) {
      markContinuationLines(source, node.getStart(file), node.end, lineOf, facts.literalContinuationLines);
    } else if (!inFunction && ts.isAwaitExpression(node)) {
      facts.topLevelAwaitLines.push(lineOf(node.getStart(file)));
    } else if (!inFunction && ts.isForOfStatement(node) && node.awaitModifier) {
      facts.topLevelAwaitLines.push(lineOf(node.getStart(file)));
    } else if (!inFunction && ts.isReturnStatement(node)) {
      facts.topLevelReturnLines.push(lineOf(node.getStart(file)));
    }
    if (
      ts.isBinaryExpression(node) ||
      ts.isPrefixUnaryExpression(node) ||
      ts.isPostfixUnaryExpression(node)
    ) {
      collectSelfWrite(node, lineOf(node.getStart(file)), facts);
    } else if (ts.isCallExpression(node)) {
      collectCall(node, facts);
    }
    const nondeterminism = nondeterministicCall(node);
    if (nondeterminism === 'random') {
      facts.unseededRandomLines.push(lineOf(node.getStart(file)));
    }
    if (nondeterminism === 'clock') {
      facts.clockLines.push(lineOf(node.getStart(file)));
    }
    ts.forEachChild(node, (child) => visit(child, nowInFunction));
  };
  visit(file, false);
  if (facts.declaredAnywhere.has('self')) {
    facts.selfEscapes = true;
  }
  return facts;
}

/** `Math.random()` is 'random'; `Date.now()` and `new Date()` with no arguments are 'clock'. */
function nondeterministicCall(node: TS.Node): 'random' | 'clock' | undefined {
  const isMember = (expression: TS.Expression, object: string, name: string) =>
    ts.isPropertyAccessExpression(expression) &&
    ts.isIdentifier(expression.expression) &&
    expression.expression.text === object &&
    expression.name.text === name;
  if (ts.isCallExpression(node)) {
    if (isMember(node.expression, 'Math', 'random')) {
      return 'random';
    }
    if (isMember(node.expression, 'Date', 'now')) {
      return 'clock';
    }
  }
  if (
    ts.isNewExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'Date' &&
    (node.arguments?.length ?? 0) === 0
  ) {
    return 'clock';
  }
  return undefined;
}

/** Syntax errors found while parsing; the parser keeps them on the source file. */
function parseDiagnostics(file: TS.SourceFile): TS.Diagnostic[] {
  return (file as unknown as { parseDiagnostics?: TS.Diagnostic[] }).parseDiagnostics ?? [];
}

function isHoistableImport(statement: TS.Statement): boolean {
  if (ts.isImportDeclaration(statement)) {
    return true;
  }
  return ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference);
}

function importBindings(statement: TS.Statement): string[] {
  if (ts.isImportEqualsDeclaration(statement)) {
    return [statement.name.text];
  }
  if (!ts.isImportDeclaration(statement) || !statement.importClause) {
    return [];
  }
  const clause = statement.importClause;
  const names = clause.name ? [clause.name.text] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) {
    names.push(bindings.name.text);
  }
  if (bindings && ts.isNamedImports(bindings)) {
    names.push(...bindings.elements.map((e) => e.name.text));
  }
  return names;
}

function bindingNames(name: TS.BindingName): string[] {
  if (ts.isIdentifier(name)) {
    return [name.text];
  }
  return name.elements.flatMap((element) =>
    ts.isOmittedExpression(element) ? [] : bindingNames(element.name),
  );
}

function topLevelBindings(statement: TS.Statement, line: number): TopLevelBinding[] {
  if (ts.isVariableStatement(statement)) {
    const flags = statement.declarationList.flags;
    const kind: BindingKind = flags & (ts.NodeFlags.Let | ts.NodeFlags.Const) ? 'lexical' : 'var';
    return statement.declarationList.declarations.flatMap((d) =>
      bindingNames(d.name).map((name) => ({ name, line, kind })),
    );
  }
  if (ts.isFunctionDeclaration(statement) && statement.name) {
    return [{ name: statement.name.text, line, kind: 'function' }];
  }
  if (ts.isClassDeclaration(statement) && statement.name) {
    return [{ name: statement.name.text, line, kind: 'lexical' }];
  }
  if (ts.isEnumDeclaration(statement)) {
    return [{ name: statement.name.text, line, kind: 'enum' }];
  }
  return [];
}

/** True when the identifier is the name being declared (variable, parameter, function, import...). */
function isDeclarationName(node: TS.Identifier): boolean {
  const parent = node.parent;
  if (ts.isBindingElement(parent)) {
    return parent.name === node;
  }
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isParameter(parent) ||
    ts.isFunctionDeclaration(parent) ||
    ts.isFunctionExpression(parent) ||
    ts.isClassDeclaration(parent) ||
    ts.isClassExpression(parent) ||
    ts.isEnumDeclaration(parent) ||
    ts.isImportClause(parent) ||
    ts.isNamespaceImport(parent) ||
    ts.isImportSpecifier(parent) ||
    ts.isImportEqualsDeclaration(parent)
  ) {
    return (parent as { name?: TS.Node }).name === node;
  }
  return false;
}

/** True when the identifier reads a value binding (not a property name, label, or type). */
function isValueRead(node: TS.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) {
    return false;
  }
  if (ts.isQualifiedName(parent) || ts.isBindingElement(parent)) {
    return false;
  }
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodSignature(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) {
    return false;
  }
  if (ts.isExportSpecifier(parent) || ts.isImportSpecifier(parent) || ts.isTypeParameterDeclaration(parent)) {
    return false;
  }
  if (ts.isMetaProperty(parent)) {
    return false;
  }
  for (let up: TS.Node = parent; !ts.isSourceFile(up); up = up.parent) {
    if (ts.isExpressionWithTypeArguments(up) && ts.isHeritageClause(up.parent)) {
      // `class A extends B` reads B; `implements I` names a type.
      return up.parent.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(up.parent.parent);
    }
    if (ts.isTypeNode(up) || ts.isInterfaceDeclaration(up) || ts.isTypeAliasDeclaration(up)) {
      return false;
    }
  }
  return true;
}

function isLiteralToken(node: TS.Node): boolean {
  return (
    ts.isStringLiteral(node) ||
    ts.isNoSubstitutionTemplateLiteral(node) ||
    ts.isTemplateHead(node) ||
    ts.isTemplateMiddle(node) ||
    ts.isTemplateTail(node)
  );
}

function markContinuationLines(
  source: string,
  start: number,
  end: number,
  lineOf: (offset: number) => number,
  into: Set<number>,
): void {
  for (let i = source.indexOf('\n', start); i >= 0 && i < end - 1; i = source.indexOf('\n', i + 1)) {
    into.add(lineOf(i) + 1);
  }
}

/** How many sorted values are below `limit` (binary search). */
function countBelow(sorted: number[], limit: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < limit) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// ---------------------------------------------------------------- artifacts written, merged and served

const ASSIGNMENTS = new Set<TS.SyntaxKind>();

function isAssignmentOperator(kind: TS.SyntaxKind): boolean {
  if (ASSIGNMENTS.size === 0) {
    for (let k = ts.SyntaxKind.FirstAssignment; k <= ts.SyntaxKind.LastAssignment; k++) {
      ASSIGNMENTS.add(k);
    }
  }
  return ASSIGNMENTS.has(kind);
}

/** `self.X = v`, `self.X += v`, `self.X++`, `self['X'] = v`; `self[k] = v` is a dynamic write. */
function collectSelfWrite(node: TS.Expression, line: number, facts: CodeFacts): void {
  let target: TS.Expression | undefined;
  if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) {
    target = node.left;
  }
  if (
    (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
    (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
  ) {
    target = node.operand;
  }
  if (!target) {
    return;
  }
  if (ts.isPropertyAccessExpression(target) && isSelf(target.expression)) {
    if (!facts.selfWrites.has(target.name.text)) {
      facts.selfWrites.set(target.name.text, line);
    }
  } else if (ts.isElementAccessExpression(target) && isSelf(target.expression)) {
    const key = target.argumentExpression;
    if (ts.isStringLiteralLike(key)) {
      if (!facts.selfWrites.has(key.text)) {
        facts.selfWrites.set(key.text, line);
      }
    } else {
      facts.selfDynamicWrite = true;
    }
  }
}

/** A read of `self.X` (`self.X += 1` reads too); `self` handed elsewhere makes the cell opaque. */
function collectSelfRead(node: TS.Identifier, line: number, facts: CodeFacts): void {
  const parent = node.parent;
  if (ts.isElementAccessExpression(parent) && parent.expression === node) {
    return;
  }
  if (!ts.isPropertyAccessExpression(parent) || parent.expression !== node) {
    facts.selfEscapes = true;
    return;
  }
  let target: TS.Node = parent;
  while (
    ts.isParenthesizedExpression(target.parent) ||
    ts.isNonNullExpression(target.parent) ||
    ts.isArrayLiteralExpression(target.parent) ||
    ts.isSpreadElement(target.parent) ||
    ts.isObjectLiteralExpression(target.parent) ||
    ts.isPropertyAssignment(target.parent) ||
    ts.isShorthandPropertyAssignment(target.parent)
  ) {
    target = target.parent;
  }
  const outer = target.parent;
  const plainAssignment =
    ts.isBinaryExpression(outer) &&
    outer.left === target &&
    outer.operatorToken.kind === ts.SyntaxKind.EqualsToken;
  const loopVariable =
    (ts.isForOfStatement(outer) || ts.isForInStatement(outer)) && outer.initializer === target;
  if (plainAssignment || loopVariable) {
    // Assigned, not read; a destructuring or loop target is a write the write collector does not see.
    if (target !== parent || loopVariable) {
      if (!facts.selfWrites.has(parent.name.text)) {
        facts.selfWrites.set(parent.name.text, line);
      }
    }
    return;
  }
  if (!facts.selfReads.has(parent.name.text)) {
    facts.selfReads.set(parent.name.text, line);
  }
}

function isSelf(node: TS.Expression): boolean {
  return ts.isIdentifier(node) && node.text === 'self';
}

/** `mergeArtifacts(inputs, { include: [...] })` and `Object.assign(self, ...)`. */
function collectCall(node: TS.CallExpression, facts: CodeFacts): void {
  const callee = node.expression;
  if (ts.isIdentifier(callee) && callee.text === 'mergeArtifacts') {
    facts.mergeCalls.push(mergeCallOf(node.arguments[1]));
  } else if (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Object' &&
    callee.name.text === 'assign' &&
    node.arguments[0] !== undefined &&
    isSelf(node.arguments[0])
  ) {
    facts.selfDynamicWrite = true;
  }
}

function mergeCallOf(options: TS.Expression | undefined): MergeCall {
  if (options === undefined) {
    return { opaque: false };
  }
  if (!ts.isObjectLiteralExpression(options)) {
    return { opaque: true };
  }
  const call: MergeCall = { opaque: false };
  for (const property of options.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) {
      return { opaque: true };
    }
    const key = property.name.text;
    if (key !== 'include' && key !== 'exclude') {
      continue;
    }
    const list = property.initializer;
    if (!ts.isArrayLiteralExpression(list) || !list.elements.every(ts.isStringLiteralLike)) {
      return { opaque: true };
    }
    call[key] = list.elements.map((e) => (e as TS.StringLiteralLike).text);
  }
  return call;
}

/** Records `export function f(...)` and `export const f = (...) => ...` with their parameters. */
function collectExport(
  statement: TS.Statement,
  file: TS.SourceFile,
  lineOf: (offset: number) => number,
  facts: CodeFacts,
): void {
  const exportKeyword = (ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : []).find(
    (m) => m.kind === ts.SyntaxKind.ExportKeyword,
  );
  const isDefault = (ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : []).some(
    (m) => m.kind === ts.SyntaxKind.DefaultKeyword,
  );
  if (!exportKeyword || isDefault) {
    return;
  }
  const functions: { name: string; fn: TS.SignatureDeclaration & { body?: TS.Node } }[] = [];
  if (ts.isFunctionDeclaration(statement) && statement.name) {
    functions.push({ name: statement.name.text, fn: statement });
  } else if (ts.isVariableStatement(statement)) {
    for (const d of statement.declarationList.declarations) {
      const init = d.initializer;
      if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
        functions.push({ name: d.name.text, fn: init });
      }
    }
  }
  if (functions.length === 0) {
    return;
  }
  facts.exportKeywordOffsets.push(exportKeyword.getStart(file));
  for (const { name, fn } of functions) {
    const parameters = fn.parameters.map((p) => parameterOf(p, file));
    const exported: ExportedFunction = {
      name,
      line: lineOf(fn.getStart(file)),
      parameters,
      secondParameterReads: [],
    };
    const second = fn.parameters[1];
    if (second && ts.isObjectBindingPattern(second.name)) {
      for (const element of second.name.elements) {
        const key = element.propertyName ?? element.name;
        if (element.dotDotDotToken || !ts.isIdentifier(key)) {
          exported.secondParameterOpaqueLine ??= lineOf(element.getStart(file));
        } else {
          exported.secondParameterReads.push({ name: key.text, line: lineOf(element.getStart(file)) });
        }
      }
    } else if (second && ts.isIdentifier(second.name) && fn.body) {
      collectPropertyReads(fn.body, second.name.text, file, lineOf, exported);
    }
    facts.exportedFunctions.push(exported);
  }
}

function parameterOf(p: TS.ParameterDeclaration, file: TS.SourceFile): FunctionParameter {
  const parameter: FunctionParameter = { rest: p.dotDotDotToken !== undefined, optional: !!p.questionToken };
  if (ts.isIdentifier(p.name)) {
    parameter.name = p.name.text;
  }
  if (ts.isObjectBindingPattern(p.name)) {
    parameter.destructured = p.name.elements.map((e) => (e.propertyName ?? e.name).getText(file));
  }
  if (p.type) {
    parameter.typeText = p.type.getText(file).replace(/\s+/g, ' ');
    if (ts.isTypeLiteralNode(p.type)) {
      parameter.typeFields = fieldsOf(p.type.members, file);
    }
    if (ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) && !p.type.typeArguments) {
      parameter.typeName = p.type.typeName.text;
    }
  }
  return parameter;
}

function fieldsOf(members: TS.NodeArray<TS.TypeElement>, file: TS.SourceFile): RequestField[] {
  const fields: RequestField[] = [];
  for (const member of members) {
    if (!ts.isPropertySignature(member) || !member.name) {
      continue;
    }
    const name =
      ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
    if (name === undefined) {
      continue;
    }
    const kind = member.type?.kind;
    const type =
      kind === ts.SyntaxKind.NumberKeyword
        ? 'number'
        : kind === ts.SyntaxKind.StringKeyword
          ? 'string'
          : kind === ts.SyntaxKind.BooleanKeyword
            ? 'boolean'
            : 'other';
    fields.push({
      name,
      type,
      optional: !!member.questionToken,
      text: member.type ? member.type.getText(file).replace(/\s+/g, ' ') : 'any',
    });
  }
  return fields;
}

/** `interface R { ... }` and `type R = { ... }` at the top level: request types an endpoint may name. */
function collectObjectType(statement: TS.Statement, file: TS.SourceFile, facts: CodeFacts): void {
  if (ts.isInterfaceDeclaration(statement) && !statement.heritageClauses && !statement.typeParameters) {
    facts.objectTypes.set(statement.name.text, fieldsOf(statement.members, file));
  } else if (
    ts.isTypeAliasDeclaration(statement) &&
    !statement.typeParameters &&
    ts.isTypeLiteralNode(statement.type)
  ) {
    facts.objectTypes.set(statement.name.text, fieldsOf(statement.type.members, file));
  }
}

/** Reads of `name.X`, `name['X']` and `const { X } = name` in a function body. */
function collectPropertyReads(
  body: TS.Node,
  name: string,
  file: TS.SourceFile,
  lineOf: (offset: number) => number,
  into: ExportedFunction,
): void {
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node) && node.text === name && isValueRead(node)) {
      const parent = node.parent;
      const line = lineOf(node.getStart(file));
      if (ts.isPropertyAccessExpression(parent) && parent.expression === node) {
        into.secondParameterReads.push({ name: parent.name.text, line });
      } else if (
        ts.isElementAccessExpression(parent) &&
        parent.expression === node &&
        ts.isStringLiteralLike(parent.argumentExpression)
      ) {
        into.secondParameterReads.push({ name: parent.argumentExpression.text, line });
      } else if (
        ts.isVariableDeclaration(parent) &&
        parent.initializer === node &&
        ts.isObjectBindingPattern(parent.name) &&
        parent.name.elements.every((e) => !e.dotDotDotToken && ts.isIdentifier(e.propertyName ?? e.name))
      ) {
        for (const element of parent.name.elements) {
          into.secondParameterReads.push({
            name: (element.propertyName ?? element.name).getText(file),
            line,
          });
        }
      } else {
        into.secondParameterOpaqueLine ??= line;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
}
