/// <reference types="mocha" />
// Smoke test in the real extension host: the extension is there, activates, and
// registers every command it contributes in package.json.
import * as assert from 'assert';
import * as vscode from 'vscode';

// `${publisher}.${name}` from package.json.
const EXTENSION_ID = 'ilb-hairpin.ilb-hairpin';

interface ContributedCommand {
  command: string;
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in the extension host`);
  return ext;
}

describe('extension smoke test', () => {
  it(`finds ${EXTENSION_ID}`, () => {
    const ext = extension();
    assert.strictEqual(ext.id.toLowerCase(), EXTENSION_ID);
  });

  it('activates', async () => {
    const ext = extension();
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  it('registers every command it contributes', async () => {
    const ext = extension();
    await ext.activate();
    const contributed = ((ext.packageJSON?.contributes?.commands ?? []) as ContributedCommand[]).map(
      (c) => c.command,
    );
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });
});
