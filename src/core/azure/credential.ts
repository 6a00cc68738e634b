/** A bearer token given as is (ILB_HAIRPIN_ARM_TOKEN, or a VS Code session) as an SDK credential. */
import type { AccessToken, TokenCredential } from '@azure/core-auth';

/** When a JWT expires (its `exp`), if it says; otherwise in an hour (Resource Manager will say 401 if it has). */
export function tokenExpiry(token: string): number {
  const payload = token.split('.')[1];
  if (payload) {
    try {
      const exp = (JSON.parse(Buffer.from(payload.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as { exp?: unknown }).exp;
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
    } catch {
      // not a JWT: the default below
    }
  }
  return Date.now() + 3600_000;
}

export function staticTokenCredential(token: string): TokenCredential {
  const value: AccessToken = { token, expiresOnTimestamp: tokenExpiry(token) };
  return { getToken: async () => value };
}
