/**
 * Fake Resource Managers for one test file: each started with the scenarios' token, all closed
 * after the file's tests.
 */
import { after } from 'node:test';
import { startFakeArm, type FakeArm, type FakeEstate } from './fake-arm';
import { TOKEN } from './scenarios';

export function fakeArmServers(): (estate: Omit<FakeEstate, 'token'>) => Promise<FakeArm> {
  const servers: FakeArm[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  return async (estate) => {
    const s = await startFakeArm({ token: TOKEN, ...estate });
    servers.push(s);
    return s;
  };
}
