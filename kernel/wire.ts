// The Jupyter wire protocol (messaging spec v5.3): ZeroMQ multipart frames
//   [identities..., "<IDS|MSG>", hmac, header, parent_header, metadata, content, buffers...]
// signed with HMAC-SHA256 over the four JSON frames. tslab's own message class is private to its
// server, and the kernel needs the request's `metadata` (JupyterLab's cell tags), comms and `error`
// outputs, so the kernel parses and signs messages here.
import { createHmac, randomUUID, timingSafeEqual } from 'crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = '<IDS|MSG>';

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  identities: Buffer[];
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A frame set that is not a valid signed message; the kernel drops it without executing anything. */
export class WireError extends Error {}

export function sign(key: string, frames: (Buffer | string)[]): string {
  if (!key) {
    return '';
  }
  const hmac = createHmac('sha256', key);
  for (const frame of frames) {
    hmac.update(frame);
  }
  return hmac.digest('hex');
}

/** Parses and verifies one message; throws WireError on a bad signature or malformed frames. */
export function parseMessage(key: string, frames: Buffer[]): Message {
  const at = frames.findIndex((frame) => frame.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) {
    throw new WireError('malformed message: no delimiter or too few frames');
  }
  const signature = frames[at + 1].toString();
  const body = frames.slice(at + 2, at + 6);
  if (key) {
    const expected = Buffer.from(sign(key, body));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WireError('invalid HMAC signature');
    }
  }
  try {
    const [header, parent, metadata, content] = body.map((frame) => JSON.parse(frame.toString('utf8')));
    return {
      identities: frames.slice(0, at),
      header,
      parent_header: parent ?? {},
      metadata: metadata ?? {},
      content: content ?? {},
      buffers: frames.slice(at + 6),
    };
  } catch {
    throw new WireError('malformed message: a JSON frame does not parse');
  }
}

export function newHeader(msgType: string, session: string, username = 'kernel'): Header {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** Frames of a message in reply to (or caused by) `parent`, signed with `key`. */
export function encodeMessage(
  key: string,
  msgType: string,
  content: unknown,
  parent: Message | undefined,
  identities: Buffer[] = parent?.identities ?? [],
  session = parent?.header.session ?? 'cellflow-kernel',
): Buffer[] {
  const body = [
    JSON.stringify(newHeader(msgType, session, parent?.header.username)),
    JSON.stringify(parent?.header ?? {}),
    JSON.stringify({}),
    JSON.stringify(content),
  ].map((text) => Buffer.from(text, 'utf8'));
  return [...identities, Buffer.from(DELIMITER), Buffer.from(sign(key, body)), ...body];
}
