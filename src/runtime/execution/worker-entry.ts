// Entry point of a task's own process with isolation:process (worker-main.ts, loaded from its bundle).
import { runBundledEntry } from './bundled-entry';

runBundledEntry('worker-main');
