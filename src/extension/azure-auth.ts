/**
 * Sign-in for a deployed scan, with nothing stored by the extension: a bearer token in the
 * environment variable ILB_HAIRPIN_ARM_TOKEN (tests, air-gapped machines), or else a session of
 * VS Code's own Microsoft authentication provider (`microsoft`, or `microsoft-sovereign-cloud`
 * for Azure Government and Azure China, set up with its `microsoft-sovereign-cloud.environment`
 * setting), for the cloud's Resource Manager scope and, when one is picked, a tenant. The token
 * is handed to the SDK only; it is never shown or logged.
 */
import * as vscode from 'vscode';
import type { TokenCredential } from '@azure/core-auth';
import { staticTokenCredential, tokenExpiry } from '../core/azure/credential';
import type { AzureSettings } from './azure-settings';

export const TOKEN_VARIABLE = 'ILB_HAIRPIN_ARM_TOKEN';

export interface SignIn {
  credential: TokenCredential;
  /** Who is signed in, to show (an account label, or where the token came from). */
  account: string;
  fromEnvironment: boolean;
}

export class SignInCancelled extends Error {
  constructor() {
    super('sign-in was cancelled');
  }
}

export function environmentToken(): string | undefined {
  return process.env[TOKEN_VARIABLE]?.trim() || undefined;
}

function providerOf(settings: AzureSettings): string {
  return settings.cloud === 'AzureCloud' ? 'microsoft' : 'microsoft-sovereign-cloud';
}

/** The scopes of a session for Resource Manager, in a tenant when one is picked. */
export function sessionScopes(settings: AzureSettings, tenant: string | undefined): string[] {
  return [settings.endpoints.scope, ...(tenant ? [`VSCODE_TENANT:${tenant}`] : [])];
}

/** A credential for Resource Manager; asks the user to sign in when there is no session yet. */
export async function signIn(settings: AzureSettings, tenant: string | undefined): Promise<SignIn> {
  const token = environmentToken();
  if (token) return { credential: staticTokenCredential(token), account: `the token in ${TOKEN_VARIABLE}`, fromEnvironment: true };
  const provider = providerOf(settings);
  const scopes = sessionScopes(settings, tenant);
  let session: vscode.AuthenticationSession;
  try {
    session = await vscode.authentication.getSession(provider, scopes, { createIfNone: true });
  } catch (e) {
    // VS Code says "Cancelled" or "User did not consent to login." when the user declines.
    if (/cancel|did not consent/i.test((e as Error).message ?? '')) throw new SignInCancelled();
    throw new Error(`could not sign in with the ${provider} account provider: ${(e as Error).message}`);
  }
  const credential: TokenCredential = {
    // VS Code renews the session's token; ask it again each time the SDK wants one.
    getToken: async () => {
      const current = (await vscode.authentication.getSession(provider, scopes, { silent: true })) ?? session;
      return { token: current.accessToken, expiresOnTimestamp: tokenExpiry(current.accessToken) };
    },
  };
  return { credential, account: session.account.label, fromEnvironment: false };
}
