// In-memory objects for interactive artifacts: the same codecs and content hashes as the datastore,
// so `self` in a step cell is decoded from bytes (a copy that cannot alias the parent's values), a
// join's mergeArtifacts compares hashes exactly as a flow run does, and saveInteractive() can write
// the objects to a datastore unchanged.
import { decodeArtifact, encodeArtifact } from '../src/runtime/codecs';
import { hashChunks } from '../src/runtime/datastore';
import type { ArtifactRef } from '../src/runtime';

export class InteractiveStore {
  private readonly objects = new Map<string, Uint8Array[]>();

  save(name: string, value: unknown): ArtifactRef {
    const { codec, chunks } = encodeArtifact(name, value);
    const { sha256, bytes } = hashChunks(chunks);
    // Chunks may be views on live buffers (Arrow, Uint8Array): keep a copy so later edits cannot leak in.
    if (!this.objects.has(sha256)) {
      this.objects.set(sha256, [Buffer.concat(chunks)]);
    }
    return { sha256, codec, bytes };
  }

  load(ref: ArtifactRef): unknown {
    const chunks = this.objects.get(ref.sha256);
    if (!chunks) {
      throw new Error(`interactive artifact object ${ref.sha256} is missing`);
    }
    return decodeArtifact(ref.codec, chunks[0]);
  }

  chunks(sha256: string): Uint8Array[] | undefined {
    return this.objects.get(sha256);
  }
}
