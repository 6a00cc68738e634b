/**
 * package.json as VS Code reads it: no language of our own, menus and walkthrough steps that name
 * contributed commands and files that exist, settings with a scope.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { REPO_ROOT } from './helpers';

interface Step {
  id: string;
  description: string;
  media: { image?: string; markdown?: string; svg?: string };
  completionEvents?: string[];
}
interface Manifest {
  contributes: {
    languages?: unknown;
    commands: { command: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    walkthroughs: { id: string; steps: Step[] }[];
    configuration: { properties: Record<string, { scope?: string }> };
  };
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const commands = new Set(pkg.contributes.commands.map((c) => c.command));
/** VS Code's own commands the walkthrough links to. */
const BUILT_IN = new Set(['workbench.actions.view.problems', 'workbench.extensions.installExtension']);

describe('package.json', () => {
  it('contributes no language: the Bicep ids belong to the Bicep extension', () => {
    assert.equal(pkg.contributes.languages, undefined);
  });

  it('menus name contributed commands, each with a when clause', () => {
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
      for (const item of items) {
        assert.ok(commands.has(item.command), `${menu}: ${item.command} is contributed`);
        assert.ok(item.when, `${menu}: ${item.command} has a when clause`);
      }
    }
    assert.ok(pkg.contributes.menus['editor/title']?.some((m) => m.command === 'ilbHairpin.showTopology'));
  });

  it('every setting says its scope', () => {
    for (const [key, setting] of Object.entries(pkg.contributes.configuration.properties)) assert.ok(setting.scope, key);
    assert.equal(pkg.contributes.configuration.properties['ilbHairpin.exclude']?.scope, 'resource');
  });

  it('the walkthrough: its media files exist, its links and completion events name real commands', () => {
    const [walkthrough] = pkg.contributes.walkthroughs;
    assert.ok(walkthrough);
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['what', 'example', 'squiggle', 'fix', 'topology', 'ci', 'bicep'],
    );
    for (const step of walkthrough.steps) {
      for (const file of Object.values(step.media).filter((v): v is string => typeof v === 'string' && /\.(svg|png|md)$/.test(v))) {
        assert.ok(fs.existsSync(path.join(REPO_ROOT, file)), `${step.id}: ${file} exists`);
      }
      const linked = [
        ...[...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]),
        ...(step.completionEvents ?? []).map((e) => /^onCommand:([\w.]+)$/.exec(e)?.[1]),
      ].filter((c): c is string => c !== undefined);
      for (const c of linked) assert.ok(commands.has(c) || BUILT_IN.has(c), `${step.id}: ${c}`);
    }
  });

  it("the hairpin picture is the seed lab drawn by the topology renderer, with its failing path", () => {
    const svg = fs.readFileSync(path.join(REPO_ROOT, 'media', 'walkthrough', 'hairpin.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    for (const label of ['ilb-we-02-web', 'rule-http', 'VM-WE-02-Web01', '10.2.1.100', '10.2.1.4']) assert.ok(svg.includes(label), label);
    assert.match(svg, /Failing path/);
  });
});
