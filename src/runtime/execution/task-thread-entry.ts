// Entry point of a task's worker thread (task-thread-main.ts, loaded from its bundle).
import { runBundledEntry } from './bundled-entry';

runBundledEntry('task-thread-main');
