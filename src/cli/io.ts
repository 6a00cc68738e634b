/** What the CLI's commands share: where they write, and the workspace they load. */
import type { Workspace } from '../core/workspace';

export interface CliIo {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface LoadedWorkspace {
  workspace: Workspace;
  relative: (p: string) => string;
  filesScanned: number;
  readErrors: { file: string; message: string }[];
}
