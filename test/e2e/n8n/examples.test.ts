// The shipped example workflows in an n8n where the package was installed the way the README tells users to
// before it is on the registry (`npm install --omit=peer <tarball>` in ~/.n8n/nodes): every file imports as it is,
// every node type in it is one n8n knows, and the Watch example activates against the sandbox (one stream) and
// stops its stream when deactivated.
import fs from 'fs';
import os from 'os';
import path from 'path';

import { Sandbox, startSandbox } from '../../../sandbox/src';
import { packTarball } from '../support/editor';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');

const ROOT = path.join(__dirname, '../../..');
const EXAMPLES = path.join(ROOT, 'examples/n8n');
const KEY = 'sk-e2e-examples-key';

jest.setTimeout(10 * 60 * 1000);

type Workflow = { id: string; name: string; nodes: Array<{ name: string; type: string; credentials?: Record<string, { id: string; name: string }> }> };
const examples: Workflow[] = fs
	.readdirSync(EXAMPLES)
	.filter((f) => f.endsWith('.json'))
	.map((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')));

let work: string;
let sandbox: Sandbox;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-examples-'));
	sandbox = await startSandbox({ intervalMs: 500, keys: [KEY] });
	n8n = await host.startN8n({ packageDirs: [packTarball(work)], installMode: 'manual' });
	api = await n8n.createOwnerAndApiKey();
});

afterAll(async () => {
	await n8n?.stop();
	await endSuite({ sandboxes: [sandbox], work });
});

it('installs the package under its own name, without a copy of n8n-workflow beside it', () => {
	const nodeModules = path.join(n8n.userFolder, '.n8n/nodes/node_modules');
	expect(fs.existsSync(path.join(nodeModules, 'n8n-nodes-memories-live-video/package.json'))).toBe(true);
	expect(fs.existsSync(path.join(nodeModules, 'n8n-workflow'))).toBe(false);
});

it('imports every example unchanged, with only node types n8n knows', async () => {
	expect(examples.length).toBeGreaterThanOrEqual(3);
	const credentials = new Map<string, { id: string; name: string }>();
	for (const node of examples.flatMap((w) => w.nodes)) for (const c of Object.values(node.credentials ?? {})) credentials.set(c.id, c);
	const credentialFile = path.join(work, 'credentials.json');
	fs.writeFileSync(credentialFile, JSON.stringify([...credentials.values()].map((c) => ({ ...c, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } }))));
	expect((await n8n.cli(['import:credentials', `--input=${credentialFile}`])).code).toBe(0);
	for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
		const imported = await n8n.cli(['import:workflow', `--input=${path.join(EXAMPLES, file)}`]);
		expect({ file, code: imported.code }).toEqual({ file, code: 0 });
	}
	const types = (await (await fetch(`${n8n.baseUrl}/types/nodes.json`, { headers: { cookie: api.cookie } })).json()) as Array<{ name: string }>;
	const known = new Set(types.map((t) => t.name));
	for (const workflow of examples) {
		const stored = await api.api('GET', `/workflows/${workflow.id}`);
		expect(stored.status).toBe(200);
		for (const node of stored.body.nodes as Array<{ type: string }>) expect({ workflow: workflow.name, type: node.type, known: known.has(node.type) }).toMatchObject({ known: true });
	}
	expect(examples.flatMap((w) => w.nodes.map((n) => n.type)).filter((t) => t.includes('memoriesLiveVideo'))).toEqual(
		expect.arrayContaining(['n8n-nodes-memories-live-video.memoriesLiveVideoTrigger', 'n8n-nodes-memories-live-video.memoriesLiveVideo']),
	);
});

it('activates the Watch example against the sandbox: one stream, stopped on deactivation', async () => {
	const watch = examples.find((w) => w.nodes.some((n) => n.type.endsWith('.memoriesLiveVideoTrigger') && JSON.stringify(n).includes('"mode":"watch"')))!;
	expect(watch).toBeDefined();
	await api.activateWorkflow(watch.id);
	const tasks = sandbox.activeTasks(KEY);
	expect(tasks).toHaveLength(1);
	expect(tasks[0].callback).toMatch(new RegExp(`^${n8n.baseUrl}/webhook/[0-9a-f-]+/results\\?token=`));
	await api.deactivateWorkflow(watch.id);
	expect(sandbox.activeTasks()).toEqual([]);
});
