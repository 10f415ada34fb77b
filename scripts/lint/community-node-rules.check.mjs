// Proves the rules of community-node-rules.mjs (run by `npm run lint`): each flags what it is for and lets the
// fixed version pass. Fixtures are written to a temp folder (the icon rule reads SVG files beside the node).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';

import { config, rules } from './community-node-rules.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-rules-'));
const eslint = new ESLint({
	cwd: dir,
	overrideConfigFile: true,
	overrideConfig: [{ files: ['**/*.json', '**/*.ts'], languageOptions: { parser: tsParser } }, ...config],
});

const pkg = (extra) => JSON.stringify({ name: 'n8n-nodes-x', version: '1.0.0', description: 'x', license: 'MIT', author: { name: 'a' }, repository: { type: 'git', url: 'git+https://github.com/a/b.git' }, n8n: { n8nNodesApiVersion: 1, nodes: ['dist/nodes/X/X.node.js'] }, ...extra });
const codex = (extra) => JSON.stringify({ node: 'n8n-nodes-x.x', categories: ['Analytics'], ...extra });
const node = (icon, options) => `import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
export class X implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'X', name: 'x', icon: ${icon}, group: ['transform'], version: 1, description: 'x', defaults: { name: 'X' }, inputs: ['main'], outputs: ['main'],
		properties: [{ displayName: 'Mode', name: 'mode', type: 'options', default: 'a', options: [${options.map((n) => `{ name: '${n}', value: '${n}' }`).join(', ')}] }],
	};
}`;
fs.writeFileSync(path.join(dir, 'pale.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#fdfdfd"/></svg>');
fs.writeFileSync(path.join(dir, 'dark-on-dark.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#262626"/></svg>');
fs.writeFileSync(path.join(dir, 'good.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#3b3f9f"/></svg>');
fs.writeFileSync(path.join(dir, 'good.dark.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#a5a9f5"/></svg>');

const GOOD_ICON = "{ light: 'file:good.svg', dark: 'file:good.dark.svg' }";
const cases = [
	// [rule, file, bad text, fixed text]
	['no-ai-codex-category', 'X.node.json', codex({ categories: ['AI', 'Analytics'] }), codex()],
	['no-codex-subcategories', 'X.node.json', codex({ subcategories: { AI: ['Tools'] } }), codex()],
	['community-package-json', 'package.json', pkg({ license: 'Apache-2.0' }), pkg()],
	['community-package-json', 'package.json', pkg({ n8n: { n8nNodesApiVersion: '1', nodes: [] } }), pkg()],
	['no-monorepo', 'package.json', pkg({ repository: { type: 'git', url: 'git+https://github.com/a/b.git', directory: 'packages/x' } }), pkg()],
	['icon-contrast', 'X.node.ts', node("{ light: 'file:pale.svg', dark: 'file:good.dark.svg' }", ['a', 'b']), node(GOOD_ICON, ['a', 'b'])],
	['icon-contrast', 'X.node.ts', node("{ light: 'file:good.svg', dark: 'file:dark-on-dark.svg' }", ['a', 'b']), node(GOOD_ICON, ['a', 'b'])],
	['icon-contrast', 'X.node.ts', node("'file:good.svg'", ['a', 'b']), node(GOOD_ICON, ['a', 'b'])],
	['options-sorted-alphabetically', 'X.node.ts', node(GOOD_ICON, ['Watch', 'Receive']), node(GOOD_ICON, ['Receive', 'Watch'])],
];

let failed = 0;
try {
	for (const [rule, file, bad, good] of cases) {
		const id = `community-nodes-next/${rule}`;
		const lint = async (text) => (await eslint.lintText(text, { filePath: path.join(dir, file) }))[0].messages.filter((m) => m.ruleId === id || m.fatal);
		try {
			assert.ok((await lint(bad)).length > 0, `${rule} lets the bad ${file} pass`);
			assert.deepEqual(await lint(good), [], `${rule} flags the fixed ${file}`);
		} catch (error) {
			failed++;
			console.error(error.message);
		}
	}
	assert.deepEqual([...new Set(cases.map(([rule]) => rule))].sort(), Object.keys(rules).sort(), 'every rule has a case');
} finally {
	fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
