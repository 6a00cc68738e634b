/** What every fix strategy takes and gives: plain data the editor and the CLI apply alike. */
import type { TextEdit } from '../edit';

export type FixStrategy = 'floating-ip' | 'floating-ip-loopback' | 'secondary-nic' | 'nginx-nva';

export interface Fix {
  strategy: FixStrategy;
  title: string;
  /** What the user must still do or know (shown with the action, printed by the CLI). */
  notes: string[];
  edits: TextEdit[];
}

export type FixResult = { ok: true; fix: Fix } | { ok: false; reason: string };

/** Reads a file's current text. */
export type TextOf = (file: string) => string | undefined;
