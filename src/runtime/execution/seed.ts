// Every run has a seed: drawn when none was given, recorded, and reused by reproduce.
import { randomInt } from 'crypto';

export function drawSeed(): number {
  return randomInt(0, 2 ** 31);
}
