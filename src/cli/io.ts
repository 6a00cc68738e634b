/** What the CLI's commands share: where they write, and the workspace they load. */
import type { TextEncodingName } from '../core/decode';
import type { Workspace } from '../core/workspace';

export interface CliIo {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Colour the text output (a terminal without NO_COLOR); off when not given. */
  color?: boolean;
}

export interface LoadedWorkspace {
  workspace: Workspace;
  relative: (p: string) => string;
  filesScanned: number;
  readErrors: { file: string; message: string }[];
  /** The files read (absolute paths). */
  inputs: readonly string[];
  /** The encoding each file was read in (a fix writes it back in the same). */
  encodings: ReadonlyMap<string, TextEncodingName>;
}
