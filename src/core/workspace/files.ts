/**
 * The workspace's file index: every file's text (the editor's unsaved text or the disk's), its
 * role (ARM template or parameters, Bicep, Bicep parameters, other), its parse and a version that
 * changes with each edit, which the incremental analysis compares.
 */
import { mayAddToGraph, parseArm, reuseSyntaxTree, templateLookalike, type ArmDocument } from '../parse/arm';
import { parseBicep, reparseBicep } from '../parse/bicep';
import { certainlyInertTemplate } from '../parse/prefilter';
import type * as B from '../parse/bicep/ast';
import type { Value } from '../evaluate/value';
import { SourceFile, textEdit } from '../source';
import { MAX_FILE_BYTES } from '../engine';
import { decodeText, type TextEncodingName } from '../decode';

/** The pseudo-dependency on the set of files (an evaluation that looked across the workspace). */
export const STRUCTURE = '\u0000structure';

export type FileRole = 'armTemplate' | 'armParameters' | 'bicep' | 'bicepParameters' | 'other';

export interface FileEntry {
  file: SourceFile;
  version: number;
  role: FileRole;
  arm?: ArmDocument;
  bicep?: B.BicepParseResult;
  tooLarge?: boolean;
  /** A template that cannot add to the graph (see makeInert). */
  inert?: boolean;
  /** Why a JSON file that is no template looks like one (a misspelled `$schema`), for a note. */
  lookalike?: string;
  /** The templateLinks written in it (computed once per version). */
  links?: { relativePath?: Value; uri?: Value }[];
}

export class FileIndex {
  private readonly files = new Map<string, FileEntry>();
  private nextVersion = 1;
  /** Bumped when files come or go (or a file's role changes): lookups across the workspace depend on the set of files. */
  structureVersion = 0;
  /** Files set or removed since the last takeChanges(), each with the entry it replaced (undefined: it was new). */
  private changes = new Map<string, FileEntry | undefined>();

  /** The files set or removed since the last call, with the entries they replaced. */
  takeChanges(): Map<string, FileEntry | undefined> {
    const changes = this.changes;
    this.changes = new Map();
    return changes;
  }

  private changed(path: string, prior: FileEntry | undefined): void {
    if (!this.changes.has(path)) this.changes.set(path, prior);
  }

  /**
   * Adds or replaces a file from its bytes. A JSON template that certainly declares nothing the
   * graph reads (see prefilter.ts) is neither decoded nor parsed; any other file is decoded as
   * decodeText does (says why when the bytes are no text).
   */
  setBytes(path: string, bytes: Uint8Array): { ok: true; encoding: TextEncodingName } | { ok: false; reason: string } {
    if (bytes.length <= MAX_FILE_BYTES && /\.jsonc?$/i.test(path) && certainlyInertTemplate(bytes)) {
      this.setInert(path);
      return { ok: true, encoding: bytes[0] === 0xef ? 'utf-8-bom' : 'utf-8' };
    }
    const decoded = decodeText(bytes);
    if (!decoded.ok) return decoded;
    this.set(path, decoded.text);
    return { ok: true, encoding: decoded.encoding };
  }

  /** A JSON template that `certainlyInertTemplate` accepted: counted, kept without its text. */
  setInert(path: string): void {
    const prior = this.files.get(path);
    if (!prior || prior.role !== 'armTemplate') this.structureVersion++;
    this.changed(path, prior);
    this.files.set(path, { file: new SourceFile(path, ''), version: this.nextVersion++, role: 'armTemplate', inert: true });
  }

  /** Adds or replaces a file's text. Paths are the files' identities (`/` separators). */
  set(path: string, text: string): void {
    const prior = this.files.get(path);
    if (prior && !prior.inert && prior.file.text === text) return;
    this.changed(path, prior);
    const clean = text.replace(/^\uFEFF/, '');
    const file = new SourceFile(path, clean);
    const entry: FileEntry = { file, version: this.nextVersion++, role: 'other' };
    if (text.length > MAX_FILE_BYTES) entry.tooLarge = true;
    else if (/\.bicep$/i.test(path)) {
      entry.role = 'bicep';
      // After an edit only the statements around it are parsed again (the rest are kept).
      entry.bicep = prior?.bicep && prior.role === 'bicep' ? reparseBicep(prior.bicep, textEdit(prior.file.text, clean), clean) : parseBicep(clean, { fileKind: 'bicep' });
    } else if (/\.bicepparam$/i.test(path)) {
      entry.bicep = parseBicep(clean, { fileKind: 'bicepparam' });
      entry.role = 'bicepParameters';
    } else if (/\.jsonc?$/i.test(path)) {
      const arm = parseArm(file);
      if (prior?.arm) reuseSyntaxTree(prior.arm, arm);
      entry.role = arm.kind === 'deploymentTemplate' ? 'armTemplate' : arm.kind === 'deploymentParameters' ? 'armParameters' : 'other';
      if (entry.role === 'other' && !arm.errors.length) entry.lookalike = templateLookalike(arm);
      if (entry.role === 'armParameters' || (entry.role === 'armTemplate' && mayAddToGraph(arm) !== false) || arm.errors.length) entry.arm = arm;
      else this.makeInert(entry, path);
    }
    // Links and modules are resolved by role: a file that becomes another kind changes what they find.
    if (!prior || prior.role !== entry.role) this.structureVersion++;
    this.files.set(path, entry);
  }

  /**
   * A template that declares no load balancer, pool, NIC, VM, scale set or deployment cannot add
   * to the graph: it counts as a template, but neither its tree nor its text is kept.
   */
  private makeInert(entry: FileEntry, path: string): void {
    entry.inert = true;
    entry.file = new SourceFile(path, '');
  }

  remove(path: string): void {
    const prior = this.files.get(path);
    if (!prior) return;
    this.changed(path, prior);
    this.files.delete(path);
    this.structureVersion++;
  }

  get(path: string): FileEntry | undefined {
    return this.files.get(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  entries(): IterableIterator<[string, FileEntry]> {
    return this.files.entries();
  }

  /** Is the version recorded for a dependency still the file's (or the set of files') version? */
  current(path: string, version: number): boolean {
    return path === STRUCTURE ? version === this.structureVersion : this.files.get(path)?.version === version;
  }
}
