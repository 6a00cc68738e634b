import * as vscode from 'vscode';

export const TASK_TYPE = 'ilb-hairpin';

/** A task of type `ilb-hairpin` in tasks.json: see `taskDefinitions` in package.json. */
export interface ScanTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  paths?: string[];
  failOn?: 'error' | 'warning' | 'info' | 'none';
}

/**
 * The task that runs `ilb-hairpin scan` (the CLI from npm: `npm install --save-dev ilb-hairpin`,
 * run through `npx --no`, so nothing is downloaded) in a workspace folder; the `$ilb-hairpin`
 * problem matcher puts its findings in the Problems panel.
 */
export function scanTask(definition: ScanTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace): vscode.Task {
  const paths = definition.paths?.length ? definition.paths : ['.'];
  const args = ['--no', 'ilb-hairpin', 'scan', ...paths, ...(definition.failOn ? ['--fail-on', definition.failOn] : [])];
  const task = new vscode.Task(definition, scope, `scan ${paths.join(' ')}`, TASK_TYPE, new vscode.ShellExecution('npx', args), ['$ilb-hairpin']);
  task.group = vscode.TaskGroup.Test;
  task.detail = 'Finds hairpin-prone internal load balancer rules (ilb-hairpin scan)';
  return task;
}

export function registerTasks(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      provideTasks: () => (vscode.workspace.workspaceFolders ?? []).map((folder) => scanTask({ type: TASK_TYPE }, folder)),
      resolveTask: (task) => {
        const definition = task.definition as ScanTaskDefinition;
        if (definition.type !== TASK_TYPE) return undefined;
        const scope = task.scope !== undefined && typeof task.scope === 'object' ? task.scope : vscode.TaskScope.Workspace;
        return scanTask(definition, scope);
      },
    }),
  );
}
