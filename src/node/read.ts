/**
 * Reading files from a local disk as the CLI and the extension's analysis worker both do: regular
 * files only, never more than a limit whatever `stat` says.
 */
import * as fs from 'node:fs';
import { decodeText, sniffEncoding, type TextEncodingName } from '../core/decode';
import { MAX_FILE_BYTES } from '../core/engine';
import type { Workspace } from '../core/workspace';

export type ReadResult = { ok: true; text: string; encoding: TextEncodingName } | { ok: false; message: string };

/** What a file that is not a regular file is, for the message that refuses it. */
export function specialKind(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string | undefined {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  return undefined;
}

/**
 * Reads a regular file's text, at most `limit` bytes whatever `stat` says (a device reports size
 * 0 and never ends; a file may grow while it is read). Opened without blocking, so a FIFO with no
 * writer is refused instead of waiting for one; anything but a regular file is refused with what
 * it is.
 */
export function readRegularFile(file: string, limit: number): ReadResult {
  const read = readRegular(file, limit, false, true);
  if (!read.ok) return read;
  if (read.text !== undefined) return read;
  const decoded = decodeText(read.bytes);
  return decoded.ok ? { ok: true, text: decoded.text, encoding: decoded.encoding } : { ok: false, message: `not read: ${decoded.reason}` };
}

/**
 * Reads a local file into a workspace under `path`, as the CLI's scan and the extension's analysis
 * worker both do: as bytes, so that a template the graph has no use for is neither decoded nor
 * parsed; at most the size limit.
 */
export function readIntoWorkspace(workspace: Workspace, path: string, file: string): { ok: true; encoding: TextEncodingName } | { ok: false; message: string } {
  const read = readRegular(file, MAX_FILE_BYTES, true, true);
  if (!read.ok) return read;
  if (read.text !== undefined) {
    // (A file this large is parsed whatever the prefilter would say of its bytes.)
    workspace.setFile(path, read.text);
    return { ok: true, encoding: read.encoding };
  }
  const set = workspace.setFileBytes(path, read.bytes);
  return set.ok ? set : { ok: false, message: `not read: ${set.reason}` };
}

/** A buffer that `transient` reads reuse, so that a scan of thousands of files allocates (and collects) almost nothing. */
let scratch = Buffer.allocUnsafe(0);
const SCRATCH_MAX = 4 * 1024 * 1024;
/** Where the read that finds the end of a file lands (nothing, unless the file grew). */
const probe = Buffer.allocUnsafe(64 * 1024);

/**
 * Files larger than this that are UTF-8 are read as text directly (Node decodes them as it reads,
 * outside the JavaScript heap): a buffer of their bytes would stay in memory, garbage, until a
 * full collection, which at 32 MB is a tenth of the scan's peak.
 */
const TEXT_FROM = SCRATCH_MAX;

/**
 * The bytes of a regular file, read as readRegularFile reads them (not decoded). `transient`: the
 * bytes may be in a buffer the next call reuses (for a caller that decodes or drops them at once).
 */
export function readRegularBytes(file: string, limit: number, transient = false): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  return readRegular(file, limit, transient, false);
}

type BytesRead = { ok: true; bytes: Uint8Array; text?: undefined } | { ok: false; message: string };
type TextRead = { ok: true; text: string; encoding: TextEncodingName };

/** readRegularBytes, or with `textFromLarge` the text itself (its BOM left out) of a large UTF-8 file (see TEXT_FROM). */
function readRegular(file: string, limit: number, transient: boolean, textFromLarge: false): BytesRead;
function readRegular(file: string, limit: number, transient: boolean, textFromLarge: true): BytesRead | TextRead;
function readRegular(file: string, limit: number, transient: boolean, textFromLarge: boolean): BytesRead | TextRead {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, message: describeError(e) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, message: `not read: it is ${specialKind(st) ?? 'not a regular file'}, not a regular file` };
    if (st.size > limit) return { ok: false, message: overLimit(st.size, limit) };
    if (textFromLarge && st.size > TEXT_FROM) {
      const head = probe.subarray(0, fs.readSync(fd, probe, 0, 512, 0));
      const sniffed = sniffEncoding(head, st.size);
      if (sniffed.ok && (sniffed.encoding === 'utf-8' || sniffed.encoding === 'utf-8-bom')) {
        // (A regular file: its size was checked above, and it is read to its end.)
        const text = fs.readFileSync(fd, 'utf8');
        if (text.length > limit) return { ok: false, message: overLimit(text.length, limit, true) };
        return { ok: true, text: sniffed.encoding === 'utf-8-bom' ? text.slice(1) : text, encoding: sniffed.encoding };
      }
    }
    const chunks: Buffer[] = [];
    let total = 0;
    // One byte past the limit tells a file that grew beyond it.
    for (let size = Math.min(limit + 1, Math.max(st.size + 1, 64 * 1024)); ; size = Math.min(limit + 1 - total, 1024 * 1024)) {
      let chunk: Buffer;
      if (chunks.length === 0 && transient && size <= SCRATCH_MAX) {
        if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(size, 2 * scratch.length)));
        chunk = scratch;
      } else {
        // After the first read, most often only the end of the file is found: into the probe.
        chunk = chunks.length > 0 && size >= probe.length ? probe : Buffer.allocUnsafe(size);
      }
      const n = fs.readSync(fd, chunk, 0, Math.min(size, chunk.length), null);
      if (n === 0) break;
      chunks.push(chunk === probe ? Buffer.from(probe.subarray(0, n)) : chunk.subarray(0, n));
      total += n;
      if (total > limit) return { ok: false, message: overLimit(total, limit, true) };
    }
    return { ok: true, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total) };
  } catch (e) {
    return { ok: false, message: describeError(e) };
  } finally {
    fs.closeSync(fd);
  }
}

function overLimit(size: number, limit: number, atLeast = false): string {
  return `skipped: ${atLeast ? 'more than ' : ''}${(size / 1048576).toFixed(1)} MB is over the ${limit / 1048576} MB limit`;
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'a loop of symbolic links';
    case 'EISDIR':
      return 'is a folder';
    case 'EAGAIN':
      return 'not read: nothing to read without waiting (not a regular file)';
    default:
      return err.message;
  }
}
