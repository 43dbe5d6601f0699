// Where a command writes, and the exit code it asks for. Commands write through this rather than
// process.stdout so the same code path runs in-process (tests, the bad-input sweep) and as a process.

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Set by a command that wants a non-zero exit without throwing (e.g. lint found errors). */
  exitCode?: number;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

/** Collects output in memory: `runCli(args, io)` then read `io.out` / `io.err`. */
export interface MemoryIO extends CliIO {
  out: string;
  err: string;
}

export function memoryIO(): MemoryIO {
  const io: MemoryIO = {
    out: '',
    err: '',
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
  };
  return io;
}
