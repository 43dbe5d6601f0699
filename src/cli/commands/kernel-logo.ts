// The kernelspec's logo-32x32.png and logo-64x64.png, drawn at install time (no binary in the repo):
// a three-step DAG, white on TypeScript blue.
import { deflateSync } from 'zlib';

const BACKGROUND = [0x31, 0x78, 0xc6];
const FOREGROUND = [0xff, 0xff, 0xff];
const NODES: [number, number][] = [
  [0.5, 0.24],
  [0.26, 0.74],
  [0.74, 0.74],
];
const EDGES: [number, number][] = [
  [0, 1],
  [0, 2],
];

/** Coverage of the drawing at (x, y) in unit coordinates: nodes are discs, edges thick lines. */
function inked(x: number, y: number): boolean {
  if (NODES.some(([cx, cy]) => Math.hypot(x - cx, y - cy) <= 0.12)) {
    return true;
  }
  return EDGES.some(([a, b]) => {
    const [ax, ay] = NODES[a];
    const [bx, by] = NODES[b];
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    );
    return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))) <= 0.035;
  });
}

export function logoPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const samples = 4; // 4x4 supersampling for smooth edges
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then RGB
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          if (inked((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) {
            hits++;
          }
        }
      }
      const a = hits / (samples * samples);
      for (let c = 0; c < 3; c++) {
        row[1 + px * 3 + c] = Math.round(BACKGROUND[c] * (1 - a) + FOREGROUND[c] * a);
      }
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

let table: Uint32Array | undefined;

function crc32(bytes: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
