/**
 * The Azure settings of a deployed scan: `ilbHairpin.azure.cloud` and `ilbHairpin.azure.armEndpoint`
 * (the CLI's `--cloud` and `--arm-endpoint`). No SDK here: activation reads nothing of it.
 */
import * as vscode from 'vscode';
import { armEndpointProblem, cloudEndpoints, CLOUDS, type CloudEndpoints, type CloudName } from '../core/azure/clouds';

export interface AzureSettings {
  /** The cloud signed in to (the setting; AzureCloud by default). */
  cloud: CloudName;
  armEndpoint: string | undefined;
  /** The cloud whose portal links a custom endpoint gets: only one named in the settings. */
  portalCloud: CloudName | undefined;
  endpoints: CloudEndpoints;
}

/** The settings, or the message that says what is wrong with them. */
export function azureSettings(): AzureSettings | { problem: string } {
  const config = vscode.workspace.getConfiguration('ilbHairpin');
  const rawCloud = config.get<string>('azure.cloud');
  const cloud = (CLOUDS as readonly string[]).includes(rawCloud ?? 'AzureCloud') ? ((rawCloud ?? 'AzureCloud') as CloudName) : undefined;
  if (!cloud) return { problem: `ilbHairpin.azure.cloud is '${rawCloud}': it must be one of ${CLOUDS.join(', ')}.` };
  const endpoint = config.get<string>('azure.armEndpoint')?.trim() || undefined;
  if (endpoint !== undefined) {
    const problem = armEndpointProblem(endpoint);
    if (problem) return { problem: `ilbHairpin.azure.armEndpoint: ${problem}` };
  }
  // An endpoint with the default cloud named only by default: no portal link is guessed for it.
  const cloudNamed = config.inspect<string>('azure.cloud');
  const explicitCloud = cloudNamed?.globalValue ?? cloudNamed?.workspaceValue ?? cloudNamed?.workspaceFolderValue;
  const linkCloud = endpoint !== undefined && explicitCloud === undefined ? undefined : cloud;
  return { cloud, armEndpoint: endpoint, portalCloud: linkCloud, endpoints: cloudEndpoints(linkCloud, endpoint) };
}
