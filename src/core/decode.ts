/**
 * The text of a template file from its bytes: UTF-8 (with or without a byte order mark) or
 * UTF-16 LE/BE with a byte order mark, as editors save them. What cannot be read as text is a
 * read error with the reason, never an empty or garbled text that would count as "not a template".
 */

export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export type DecodedText = { ok: true; text: string; encoding: TextEncodingName } | { ok: false; reason: string };

export function decodeText(bytes: Uint8Array): DecodedText {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0x00 && b1 === 0x00 && bytes[2] === 0xfe && bytes[3] === 0xff) return { ok: false, reason: 'the file is UTF-32 (big endian); save it as UTF-8' };
  if (b0 === 0xff && b1 === 0xfe && bytes[2] === 0x00 && bytes[3] === 0x00 && bytes.length >= 4) {
    return { ok: false, reason: 'the file is UTF-32 (little endian); save it as UTF-8' };
  }
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) return { ok: true, text: utf8(bytes.subarray(3)), encoding: 'utf-8-bom' };
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const encoding = b0 === 0xff ? 'utf-16le' : 'utf-16be';
    if (bytes.length % 2 !== 0) return { ok: false, reason: `the file starts with a ${encoding.toUpperCase()} byte order mark but has an odd number of bytes` };
    try {
      return { ok: true, text: new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes), encoding };
    } catch {
      return { ok: false, reason: `the file starts with a ${encoding.toUpperCase()} byte order mark but is not valid ${encoding.toUpperCase()}` };
    }
  }
  // UTF-16 without a byte order mark: ASCII text with every other byte zero (`{` then NUL, or NUL then `{`).
  const head = bytes.subarray(0, Math.min(bytes.length, 512));
  if (head.length >= 4) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < head.length; i++) {
      if (head[i] !== 0) continue;
      if (i % 2) oddZero++;
      else evenZero++;
    }
    const half = head.length / 2;
    if (oddZero > half * 0.9 || evenZero > half * 0.9) {
      return { ok: false, reason: `the file looks like UTF-16 ${oddZero > evenZero ? 'LE' : 'BE'} without a byte order mark; save it as UTF-8 (or UTF-16 with a BOM)` };
    }
  }
  return { ok: true, text: utf8(bytes), encoding: 'utf-8' };
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
