// What the TypeScript compiler API tells us about one cell's code: syntax errors, imports to hoist,
// top-level bindings, the names it reads, `export`s, and which lines start inside a multi-line string
// or template literal (those must not be re-indented when the cell becomes a step function body).
import type * as TS from 'typescript';
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
}

const cache = new Map<string, CodeFacts>();
const CACHE_LIMIT = 2000;

/** Facts about one cell's source; memoised, since lint, graph and compiler all ask. */
export function analyzeCode(source: string): CodeFacts {
  const hit = cache.get(source);
  if (hit) return hit;
  const facts = computeFactsSafely(source);
  if (cache.size >= CACHE_LIMIT) cache.clear();
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
  };
}

/** Pathological nesting (thousands of brackets) overflows the recursive parser: report, don't crash. */
function computeFactsSafely(source: string): CodeFacts {
  try {
    return computeFacts(source);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
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
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) newlines.push(i);
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
    }
    for (const binding of topLevelBindings(statement, line)) facts.topLevel.push(binding);
  }

  const visit = (node: TS.Node, inFunction: boolean): void => {
    const nowInFunction = inFunction || ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node);
    if (ts.isIdentifier(node)) {
      if (isDeclarationName(node)) facts.declaredAnywhere.add(node.text);
      else if (isValueRead(node) && !facts.reads.has(node.text))
        facts.reads.set(node.text, lineOf(node.getStart(file)));
    } else if (isLiteralToken(node)) {
      markContinuationLines(source, node.getStart(file), node.end, lineOf, facts.literalContinuationLines);
    } else if (!inFunction && ts.isAwaitExpression(node)) {
      facts.topLevelAwaitLines.push(lineOf(node.getStart(file)));
    } else if (!inFunction && ts.isForOfStatement(node) && node.awaitModifier) {
      facts.topLevelAwaitLines.push(lineOf(node.getStart(file)));
    } else if (!inFunction && ts.isReturnStatement(node)) {
      facts.topLevelReturnLines.push(lineOf(node.getStart(file)));
    }
    ts.forEachChild(node, (child) => visit(child, nowInFunction));
  };
  visit(file, false);
  return facts;
}

/** Syntax errors found while parsing; the parser keeps them on the source file. */
function parseDiagnostics(file: TS.SourceFile): TS.Diagnostic[] {
  return (file as unknown as { parseDiagnostics?: TS.Diagnostic[] }).parseDiagnostics ?? [];
}

function isHoistableImport(statement: TS.Statement): boolean {
  if (ts.isImportDeclaration(statement)) return true;
  return ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference);
}

function importBindings(statement: TS.Statement): string[] {
  if (ts.isImportEqualsDeclaration(statement)) return [statement.name.text];
  if (!ts.isImportDeclaration(statement) || !statement.importClause) return [];
  const clause = statement.importClause;
  const names = clause.name ? [clause.name.text] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
  if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((e) => e.name.text));
  return names;
}

function bindingNames(name: TS.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
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
  if (ts.isFunctionDeclaration(statement) && statement.name)
    return [{ name: statement.name.text, line, kind: 'function' }];
  if (ts.isClassDeclaration(statement) && statement.name)
    return [{ name: statement.name.text, line, kind: 'lexical' }];
  if (ts.isEnumDeclaration(statement)) return [{ name: statement.name.text, line, kind: 'enum' }];
  return [];
}

/** True when the identifier is the name being declared (variable, parameter, function, import...). */
function isDeclarationName(node: TS.Identifier): boolean {
  const parent = node.parent;
  if (ts.isBindingElement(parent)) return parent.name === node;
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
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) || ts.isBindingElement(parent)) return false;
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
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  if (ts.isExportSpecifier(parent) || ts.isImportSpecifier(parent) || ts.isTypeParameterDeclaration(parent)) {
    return false;
  }
  if (ts.isMetaProperty(parent)) return false;
  for (let up: TS.Node = parent; !ts.isSourceFile(up); up = up.parent) {
    if (ts.isExpressionWithTypeArguments(up) && ts.isHeritageClause(up.parent)) {
      // `class A extends B` reads B; `implements I` names a type.
      return up.parent.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(up.parent.parent);
    }
    if (ts.isTypeNode(up) || ts.isInterfaceDeclaration(up) || ts.isTypeAliasDeclaration(up)) return false;
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
    if (sorted[mid] < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
