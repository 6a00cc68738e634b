/**
 * The text of a template file from its bytes: UTF-8 (with or without a byte order mark) or
 * UTF-16 LE/BE with a byte order mark, as editors save them. What cannot be read as text is a
 * read error with the reason, never an empty or garbled text that would count as "not a template".
 */

export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export type DecodedText = { ok: true; text: string; encoding: TextEncodingName } | { ok: false; reason: string };

export function decodeText(bytes: Uint8Array): DecodedText {
  const sniffed = sniffEncoding(bytes, bytes.length);
  if (!sniffed.ok) return sniffed;
  const { encoding } = sniffed;
  if (encoding === 'utf-8-bom') return { ok: true, text: utf8(bytes.subarray(3)), encoding };
  if (encoding === 'utf-8') return { ok: true, text: utf8(bytes), encoding };
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes), encoding };
  } catch {
    return { ok: false, reason: `the file starts with a ${encoding.toUpperCase()} byte order mark but is not valid ${encoding.toUpperCase()}` };
  }
}

/**
 * The encoding a file's text is read in, from its first bytes (512 are enough) and its size; or
 * why it cannot be read as text.
 */
export function sniffEncoding(head: Uint8Array, size: number): { ok: true; encoding: TextEncodingName } | { ok: false; reason: string } {
  const b0 = head[0];
  const b1 = head[1];
  if (b0 === 0x00 && b1 === 0x00 && head[2] === 0xfe && head[3] === 0xff) return { ok: false, reason: 'the file is UTF-32 (big endian); save it as UTF-8' };
  if (b0 === 0xff && b1 === 0xfe && head[2] === 0x00 && head[3] === 0x00 && size >= 4) {
    return { ok: false, reason: 'the file is UTF-32 (little endian); save it as UTF-8' };
  }
  if (b0 === 0xef && b1 === 0xbb && head[2] === 0xbf) return { ok: true, encoding: 'utf-8-bom' };
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const encoding = b0 === 0xff ? 'utf-16le' : 'utf-16be';
    if (size % 2 !== 0) return { ok: false, reason: `the file starts with a ${encoding.toUpperCase()} byte order mark but has an odd number of bytes` };
    return { ok: true, encoding };
  }
  // UTF-16 without a byte order mark: ASCII text with every other byte zero (`{` then NUL, or NUL then `{`).
  const start = head.subarray(0, Math.min(head.length, 512));
  if (start.length >= 4) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < start.length; i++) {
      if (start[i] !== 0) continue;
      if (i % 2) oddZero++;
      else evenZero++;
    }
    const half = start.length / 2;
    if (oddZero > half * 0.9 || evenZero > half * 0.9) {
      return { ok: false, reason: `the file looks like UTF-16 ${oddZero > evenZero ? 'LE' : 'BE'} without a byte order mark; save it as UTF-8 (or UTF-16 with a BOM)` };
    }
  }
  return { ok: true, encoding: 'utf-8' };
}

/** The bytes of a text in the encoding the file was read in (so a fix keeps the file's encoding). */
export function encodeText(text: string, encoding: TextEncodingName): Uint8Array {
  switch (encoding) {
    case 'utf-8':
      return new TextEncoder().encode(text);
    case 'utf-8-bom':
      return new TextEncoder().encode('\uFEFF' + text);
    case 'utf-16le':
    case 'utf-16be': {
      const withBom = '\uFEFF' + text;
      const out = new Uint8Array(withBom.length * 2);
      const le = encoding === 'utf-16le';
      for (let i = 0; i < withBom.length; i++) {
        const c = withBom.charCodeAt(i);
        out[2 * i + (le ? 0 : 1)] = c & 0xff;
        out[2 * i + (le ? 1 : 0)] = c >> 8;
      }
      return out;
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

function utf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}
