// The pure-TypeScript SHA-256 must agree with node:crypto on every length around block boundaries,
// on multi-byte UTF-8, and on a large input.
import { createHash } from 'crypto';
import { sha256, sha256Bytes } from '../../src/core/sha256';

const reference = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

test('matches node:crypto for lengths 0..300 (padding and block boundaries)', () => {
  for (let n = 0; n <= 300; n++) {
    const text = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7 + n) % 90))).join('');
    expect(sha256(text)).toBe(reference(text));
  }
});

test('hashes UTF-8 bytes: accents, CJK, emoji, lone newline', () => {
  for (const text of ['é', 'naïve café', '数据流', '🚀 flow', '\n', '\u2028', 'a\u0000b']) {
    expect(sha256(text)).toBe(reference(Buffer.from(text, 'utf8')));
  }
});

test('raw bytes and a 3 MB input', () => {
  const bytes = new Uint8Array(3 * 1024 * 1024 + 13).map((_, i) => (i * 31) & 0xff);
  expect(sha256Bytes(bytes)).toBe(reference(bytes));
  expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
