/**
 * Base64, as ARM's base64()/base64ToString() and the guest configuration (CustomScript scripts,
 * PowerShell -EncodedCommand, customData) use it. Pure: no Buffer, no atob.
 */
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const rest = bytes.length - i;
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64_ALPHABET.charAt((n >> 18) & 63) + BASE64_ALPHABET.charAt((n >> 12) & 63);
    out += rest > 1 ? BASE64_ALPHABET.charAt((n >> 6) & 63) : '=';
    out += rest > 2 ? BASE64_ALPHABET.charAt(n & 63) : '=';
  }
  return out;
}

/** Decodes base64 (white space ignored, as .NET does); undefined when the text isn't base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 !== 0) return undefined;
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = i; j < i + 4; j++) {
      const digit = j >= s.length - padding ? 0 : BASE64_ALPHABET.indexOf(s.charAt(j));
      if (digit < 0) return undefined;
      n = n * 64 + digit;
    }
    bytes.push((n >> 16) & 255, (n >> 8) & 255, n & 255);
  }
  return Uint8Array.from(bytes.slice(0, bytes.length - padding));
}

/** Base64 of text in UTF-8 or UTF-16LE (PowerShell's -EncodedCommand); undefined when it isn't that. */
export function decodeBase64Text(b64: string, encoding: 'utf-8' | 'utf-16le'): string | undefined {
  const bytes = fromBase64(b64);
  if (!bytes) return undefined;
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
