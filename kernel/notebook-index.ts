// Which notebook cell an execute_request runs, and the flow graph of its notebook. JupyterLab sends a
// cell's own tags and id but not its neighbours', and nbclient/papermill send nothing but the code, so
// the kernel reads the notebook itself (core's analysis, the same the compiler uses): the session's
// notebook (`JPY_SESSION_NAME`, which jupyter_server sets for every kernel it starts) and otherwise
// the `*.ipynb` files in the kernel's working directory (where papermill and nbclient start it).
// Files are re-read when their mtime changes, so saved edits are picked up.
import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook, type NotebookAnalysis } from '../src/core/index';
import type { CellRef, FlowGraph, NotebookFlow, Parameter } from '../src/core/model';

export type CellRole = 'step' | 'prelude' | 'parameters' | 'skip' | 'endpoint' | 'markdown';

export interface LocatedCell {
  notebook: string;
  flow: NotebookFlow;
  graph?: FlowGraph;
  cell: CellRef;
  role: CellRole;
  /** For a step's cells: the step's name. */
  step?: string;
  /** True for the `step:` cell itself, false for the untagged cells that continue it. */
  startsStep?: boolean;
  /** For an endpoint cell: the endpoint's name. */
  endpoint?: string;
  /** The cell's source as saved, normalised for comparison. */
  source?: string;
}

/** A notebook's code cell sources as saved, read without analysing it. */
interface RawSources {
  mtimeMs: number;
  size: number;
  sources: Set<string>;
}

interface Indexed {
  mtimeMs: number;
  size: number;
  analysis: NotebookAnalysis;
  byId: Map<string, LocatedCell>;
  bySource: Map<string, LocatedCell[]>;
}

const MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024;

export class NotebookIndex {
  private readonly cache = new Map<string, Indexed>();
  private readonly rawSources = new Map<string, RawSources>();
  /**
   * Notebooks as JupyterLab holds them (sent through the comm before each execution): unsaved cells,
   * moves and tag edits included. They win over the file on disk, which is older while one is open.
   */
  private readonly live = new Map<string, Indexed>();
  /** The notebook of the last cell found: where a tagged cell the files do not know yet most likely is. */
  private lastNotebook: string | undefined;

  constructor(
    private readonly cwd: string,
    private readonly sessionNotebook: string | undefined = process.env.JPY_SESSION_NAME,
  ) {}

  /** The notebook `name` (relative to the kernel's working directory) as the frontend holds it now. */
  setLive(name: string, text: string): void {
    const file = path.resolve(this.cwd, name);
    const indexed = indexNotebook(file, analyzeNotebook(text, path.basename(file)), {
      mtimeMs: 0,
      size: text.length,
    });
    this.live.set(file, indexed);
    this.lastNotebook = file;
  }

  /** The notebooks to consult, the session's first. */
  candidates(): string[] {
    const files: string[] = [];
    const session = this.sessionPath();
    if (session) {
      files.push(session);
    }
    for (const file of this.live.keys()) {
      if (!files.includes(file)) {
        files.push(file);
      }
    }
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(this.cwd);
    } catch {
      // an unreadable working directory: no notebooks to consult
    }
    for (const name of entries.sort()) {
      const file = path.join(this.cwd, name);
      if (name.endsWith('.ipynb') && !name.startsWith('.') && !files.includes(file)) {
        files.push(file);
      }
    }
    return files;
  }

  /**
   * Finds a cell: by nbformat id in the session's notebook (JupyterLab; its source may have unsaved
   * edits), else by id and identical source in another notebook (ids like `start` repeat across
   * notebooks), else by identical source alone (nbclient, papermill), else by an id only one notebook has.
   */
  locate(cellId: string | undefined, code: string): LocatedCell | undefined {
    const found = this.find(cellId, code);
    if (found) {
      this.lastNotebook = found.notebook;
    }
    return found;
  }

  private find(cellId: string | undefined, code: string): LocatedCell | undefined {
    const notebooks = this.candidates();
    const session = this.sessionPath();
    const key = normaliseSource(code);
    if (cellId && session) {
      const hit = this.load(session)?.byId.get(cellId);
      if (hit) {
        return hit;
      }
    }
    // A notebook the frontend sent is current, so its ids are as authoritative as the session's.
    for (const live of cellId ? this.live.values() : []) {
      const hit = live.byId.get(cellId!);
      if (hit) {
        return hit;
      }
    }
    const byId = cellId
      ? notebooks.flatMap((file) => {
          const hit = this.load(file)?.byId.get(cellId);
          return hit ? [hit] : [];
        })
      : [];
    const sameSource = byId.find((hit) => key && hit.source === key);
    if (sameSource) {
      return sameSource;
    }
    if (key) {
      const hits: LocatedCell[] = [];
      for (const file of notebooks) {
        // Analysing a notebook costs far more than reading it: only those holding the code are.
        if (this.live.has(file) || this.holdsSource(file, key)) {
          hits.push(...(this.load(file)?.bySource.get(key) ?? []));
        }
      }
      // The same code in two places is usable when both places mean the same thing (papermill writes
      // its output notebook, a copy, beside the input while it runs).
      const distinct = new Set(hits.map((h) => `${h.role}/${h.step ?? ''}`));
      if (distinct.size === 1) {
        return hits[0];
      }
    }
    return byId.length === 1 ? byId[0] : undefined;
  }

  /** The analysed notebook that defines `step`: the session's, else the last one a cell was found in. */
  notebookWithStep(step: string): LocatedCell | undefined {
    const candidates = this.candidates();
    const last = this.lastNotebook && candidates.includes(this.lastNotebook) ? [this.lastNotebook] : [];
    for (const file of [...candidates.slice(0, this.sessionPath() ? 1 : 0), ...last, ...candidates]) {
      const indexed = this.load(file);
      const flow = indexed?.analysis.flow;
      const found = flow?.steps.find((s) => s.name === step);
      if (indexed && flow && found) {
        return {
          notebook: file,
          flow,
          graph: indexed.analysis.graph,
          cell: found.cell,
          role: 'step',
          step,
          startsStep: true,
        };
      }
    }
    return undefined;
  }

  /** Parameters declared by the notebook that defines `step` (defaults for `self`). */
  parametersFor(step: string): Parameter[] {
    return this.notebookWithStep(step)?.flow.parameters ?? [];
  }

  private sessionPath(): string | undefined {
    if (!this.sessionNotebook) {
      return undefined;
    }
    const file = path.resolve(this.cwd, this.sessionNotebook);
    // JPY_SESSION_NAME is relative to the server's root; the kernel runs in the notebook's directory.
    if (fs.existsSync(file)) {
      return file;
    }
    const beside = path.join(this.cwd, path.basename(this.sessionNotebook));
    return fs.existsSync(beside) ? beside : undefined;
  }

  /** Whether the saved notebook `file` has a code cell whose normalised source is `key`. */
  private holdsSource(file: string, key: string): boolean {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return false;
    }
    let raw = this.rawSources.get(file);
    if (!raw || raw.mtimeMs !== stat.mtimeMs || raw.size !== stat.size) {
      raw = { mtimeMs: stat.mtimeMs, size: stat.size, sources: codeSourcesOf(file, stat) };
      this.rawSources.set(file, raw);
    }
    return raw.sources.has(key);
  }

  private load(file: string): Indexed | undefined {
    const live = this.live.get(file);
    if (live) {
      return live;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      this.cache.delete(file);
      return undefined;
    }
    if (!stat.isFile() || stat.size > MAX_NOTEBOOK_BYTES) {
      return undefined;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) {
      return cached;
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const indexed = indexNotebook(file, analyzeNotebook(text, path.basename(file)), stat);
    this.cache.set(file, indexed);
    return indexed;
  }
}

function indexNotebook(
  file: string,
  analysis: NotebookAnalysis,
  stat: { mtimeMs: number; size: number },
): Indexed {
  const byId = new Map<string, LocatedCell>();
  const bySource = new Map<string, LocatedCell[]>();
  const flow = analysis.flow;
  const indexed: Indexed = { mtimeMs: stat.mtimeMs, size: stat.size, analysis, byId, bySource };
  if (!flow) {
    return indexed;
  }
  const add = (cell: CellRef, role: CellRole, extra: Partial<LocatedCell> = {}) => {
    const key = normaliseSource(flow.notebook.cells[cell.index]?.source ?? '');
    const located: LocatedCell = {
      notebook: file,
      flow,
      graph: analysis.graph,
      cell,
      role,
      source: key,
      ...extra,
    };
    byId.set(cell.id, located);
    if (key && flow.notebook.cells[cell.index]?.cellType === 'code') {
      bySource.set(key, [...(bySource.get(key) ?? []), located]);
    }
  };
  for (const chunk of flow.prelude) {
    add(chunk.cell, 'prelude');
  }
  for (const ref of flow.skipped) {
    add(ref, 'skip');
  }
  for (const endpoint of flow.endpoints) {
    add(endpoint.code.cell, 'endpoint', { endpoint: endpoint.name });
  }
  const parameterCells = new Set(flow.parameters.map((p) => p.cell.id));
  for (const cell of flow.notebook.cells) {
    if (cell.cellType === 'code' && (parameterCells.has(cell.id) || cell.tags.includes('parameters'))) {
      add({ index: cell.index, id: cell.id }, 'parameters');
    }
  }
  for (const step of flow.steps) {
    const seen = new Set<string>();
    for (const chunk of step.code) {
      if (seen.has(chunk.cell.id)) {
        continue;
      }
      seen.add(chunk.cell.id);
      add(chunk.cell, 'step', { step: step.name, startsStep: chunk.cell.id === step.cell.id });
    }
  }
  return indexed;
}

/** The normalised sources of a saved notebook's code cells; none when it cannot be read as one. */
function codeSourcesOf(file: string, stat: fs.Stats): Set<string> {
  const sources = new Set<string>();
  if (!stat.isFile() || stat.size > MAX_NOTEBOOK_BYTES) {
    return sources;
  }
  try {
    const notebook = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      cells?: { cell_type?: string; source?: string | string[] }[];
    };
    for (const cell of Array.isArray(notebook.cells) ? notebook.cells : []) {
      if (cell?.cell_type === 'code') {
        const source = Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '');
        sources.add(normaliseSource(typeof source === 'string' ? source : ''));
      }
    }
  } catch {
    // not JSON: analysis would find no cells in it either
  }
  return sources;
}

/** Sources compare without trailing whitespace and line-ending differences (papermill strips none). */
function normaliseSource(source: string): string {
  return source.replace(/\r\n/g, '\n').replace(/\s+$/, '');
}
