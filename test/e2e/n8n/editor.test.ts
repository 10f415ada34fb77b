// The n8n editor with our package, in headless Chromium (Debian's, driven by playwright-core): a real n8n 2.40.7
// with the packed package installed as n8n's installer installs community packages, against the sandbox. A user's
// path: log in, new workflow, find the trigger and the action in the node creator by "memories" and by their
// names, add each, open every option of their parameters, create the credential and run its test (a good key
// passes, a wrong key fails with our message), listen for a test event and see its result. Screenshots go to
// build/screenshots/ (and, with UPDATE_SCREENSHOTS=1, to examples/n8n/screenshots/ for the README).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Browser, ConsoleMessage, Locator, Page, chromium, selectors } from 'playwright-core';

import { Sandbox, startSandbox } from '../../../sandbox/src';
import { Sink, startSink } from '../../../scripts/lib/sink';
import { packTarball, saveScreenshot } from '../support/editor';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/n8n-host');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'sk-editor-good-key';
const WRONG_KEY = 'sk-editor-wrong-key';
const OWNER = { email: 'owner@example.com', password: 'Owner-Passw0rd!' };
const PACKAGE = 'n8n-nodes-memories-live-video';
const TRIGGER_TYPE = `${PACKAGE}.memoriesLiveVideoTrigger`;
const ACTION_TYPE = `${PACKAGE}.memoriesLiveVideo`;

// n8n's own console errors that say nothing about our package, each named by what causes it.
const HARMLESS = [
	// The sign-in page asks who is logged in before anyone is (401 from /rest/login).
	{ why: 'login check before signing in', test: (m: Problem) => /status of 401/.test(m.text) && /\/rest\/login$/.test(m.url) },
	// The node details panel looks the package up on the npm registry, from the browser: it is not published yet,
	// and this machine reaches the registry only through a TLS proxy that Chromium does not trust.
	{ why: 'registry lookup by the browser', test: (m: Problem) => m.url.startsWith(`https://registry.npmjs.org/${PACKAGE}`) },
	// n8n asks for an optional output-schema file of every node (<node>/__schema__/v<version>.json); none is shipped.
	{ why: 'optional output schema', test: (m: Problem) => /status of 404/.test(m.text) && new RegExp(`/schemas/${PACKAGE}\\.\\w+/[\\d.]+\\.json$`).test(m.url) },
];

jest.setTimeout(10 * 60 * 1000);

interface Problem {
	text: string;
	url: string;
}
type NodeType = { name: string; displayName: string; properties: Property[] };
type Property = { name: string; displayName: string; type: string; options?: Array<{ name: string; value?: unknown; displayName?: string }>; displayOptions?: unknown };

let work: string;
let sandbox: Sandbox;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let n8n: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let api: any;
let sink: Sink;
let browser: Browser;
let page: Page;
const problems: Problem[] = [];
let types: NodeType[] = [];

const ndv = () => page.getByTestId('ndv');
const creator = () => page.getByTestId('node-creator');
const creatorItem = (name: string) => creator().getByTestId('node-creator-item-name').filter({ hasText: name });

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-editor-'));
	sandbox = await startSandbox({ intervalMs: 500, keys: [KEY] });
	n8n = await host.startN8n({ packageDirs: [packTarball(work)] });
	api = await n8n.createOwnerAndApiKey(OWNER);
	sink = await startSink();
	selectors.setTestIdAttribute('data-test-id'); // n8n's test ids
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
	});
	page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	// Generous: the editor's first load fetches a large bundle, and CI shares 2 cores with other work.
	page.setDefaultTimeout(60_000);
	page.setDefaultNavigationTimeout(120_000);
	page.on('console', (message: ConsoleMessage) => {
		if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
	});
	page.on('pageerror', (error) => problems.push({ text: `uncaught: ${error.stack ?? error.message}`, url: '' }));
});

// What the page showed at the end of each test (build/screenshots/debug/), for when one fails.
afterEach(async () => {
	const name = (expect.getState().currentTestName ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
	const dir = path.join(__dirname, '../../../build/screenshots/debug');
	fs.mkdirSync(dir, { recursive: true });
	await page?.screenshot({ path: path.join(dir, `${name}.png`) }).catch(() => undefined);
});

afterAll(async () => {
	await browser?.close();
	await n8n?.stop();
	await endSuite({ sandboxes: [sandbox], close: [sink], work });
});

/** The dropdown's options as shown (their names; n8n adds each description on a second line). */
async function shownOptions(): Promise<Locator> {
	const options = page.getByRole('option').filter({ visible: true });
	await options.first().waitFor({ state: 'visible' });
	return options;
}

/** Opens an options parameter's dropdown, checks it lists exactly the node type's options, and picks each in turn, ending on `finalName`. */
async function tryEveryOption(property: Property, finalName: string, onEach?: (name: string) => Promise<void>) {
	const names = (property.options ?? []).map((o) => o.name);
	expect(names.length).toBeGreaterThan(1);
	const select = ndv().getByTestId(`parameter-input-${property.name}`);
	for (const name of [...names.filter((n) => n !== finalName), finalName]) {
		await select.click();
		const options = await shownOptions();
		expect((await options.allInnerTexts()).map((t) => t.split('\n')[0].trim())).toEqual(names);
		await options.nth(names.indexOf(name)).click(); // by position: a description may mention another option's name
		await expectValue(select, name);
		await onEach?.(name);
	}
}

/** The Options collection: "Add option" offers exactly the options of the type not added yet; each is added. */
async function addEveryCollectionOption(property: Property) {
	const names = (property.options ?? []).map((o) => o.displayName ?? o.name);
	const shown = (name: string) => ndv().getByTestId('node-parameters').getByText(name, { exact: true });
	for (;;) {
		const missing: string[] = [];
		for (const name of names) if ((await shown(name).count()) === 0) missing.push(name);
		if (missing.length === 0) break;
		await ndv().getByTestId('collection-parameter-add').filter({ visible: true }).first().click();
		// With one option left, n8n's button adds it at once; otherwise it opens a list.
		const listed = page.getByTestId('collection-parameter-option').filter({ visible: true });
		await listed.first().or(shown(missing[0])).first().waitFor({ state: 'visible' });
		if (await listed.first().isVisible()) {
			expect((await listed.allInnerTexts()).map((t) => t.trim()).sort()).toEqual([...missing].sort());
			await listed.first().click();
		}
	}
	for (const name of names) await expect(shown(name)).toBeVisibleSoon();
}

beforeAll(() => {
	expect.extend({
		async toHaveTexts(received: Locator, expected: string[]) {
			const deadline = Date.now() + 20_000;
			let texts: string[] = [];
			for (;;) {
				texts = (await received.allInnerTexts()).map((t) => t.trim());
				if (JSON.stringify(texts) === JSON.stringify(expected)) return { pass: true, message: () => '' };
				if (Date.now() > deadline) return { pass: false, message: () => `expected options ${JSON.stringify(expected)}, got ${JSON.stringify(texts)}` };
				await received.first().waitFor({ state: 'visible', timeout: 1000 }).catch(() => undefined);
			}
		},
		async toBeVisibleSoon(received: Locator) {
			try {
				await received.first().waitFor({ state: 'visible', timeout: 30_000 });
				return { pass: true, message: () => '' };
			} catch (error) {
				return { pass: false, message: () => (error as Error).message };
			}
		},
	});
});

declare global {
	// eslint-disable-next-line @typescript-eslint/no-namespace
	namespace jest {
		interface Matchers<R> {
			toHaveTexts(expected: string[]): Promise<R>;
			toBeVisibleSoon(): Promise<R>;
		}
	}
}

async function expectValue(select: Locator, text: string) {
	await expect(select.locator('input').first()).toBeVisibleSoon();
	const deadline = Date.now() + 20_000;
	while ((await select.locator('input').first().inputValue()) !== text) {
		if (Date.now() > deadline) throw new Error(`the select shows "${await select.locator('input').first().inputValue()}", not "${text}"`);
		await select.locator('input').first().evaluate((input) => new Promise((resolve) => requestAnimationFrame(resolve)));
	}
}

/** The node's parameter panel is open, titled with its name. */
async function expectPanelOf(name: string) {
	await expect(ndv().getByTestId('node-parameters')).toBeVisibleSoon();
	expect(await ndv().getByTestId('node-title-container').locator('input').first().inputValue().catch(async () => ndv().getByTestId('node-title-container').innerText())).toContain(name);
}

function property(type: string, name: string): Property {
	const node = types.find((t) => t.name === type);
	const found = node?.properties.find((p) => p.name === name);
	if (!found) throw new Error(`${type} has no property ${name}`);
	return found;
}

it('logs in', async () => {
	await page.goto(`${n8n.baseUrl}/signin`);
	await page.getByLabel('Email').fill(OWNER.email);
	await page.getByLabel('Password').fill(OWNER.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(/\/home\//, { timeout: 120_000 });
	types = await page.evaluate(() => fetch('/types/nodes.json').then((r) => r.json()));
	expect(types.map((t) => t.name)).toEqual(expect.arrayContaining([TRIGGER_TYPE, ACTION_TYPE]));
});

it('finds the trigger in "What triggers this workflow?" by "memories" and by its name', async () => {
	await page.goto(`${n8n.baseUrl}/workflow/new`);
	await page.getByTestId('canvas-plus-button').click();
	await expect(creator().getByText('What triggers this workflow?')).toBeVisibleSoon();
	const search = page.getByTestId('node-creator-search-bar');
	await search.fill('Memories.ai Live Video Trigger');
	await expect(creatorItem('Memories.ai Live Video')).toBeVisibleSoon();
	await search.fill('memories');
	await expect(creatorItem('Memories.ai Live Video')).toBeVisibleSoon();
	await expect(creator().getByTestId('node-creator-item-description')).toHaveTexts([
		'Starts the workflow with each analysis result of a live video stream',
	]);
	await saveScreenshot(page, 'n8n-node-creator-search');
	await creatorItem('Memories.ai Live Video').click();
	await expect(creator().getByText('On new Memories.ai Live Video event')).toBeVisibleSoon();
	await saveScreenshot(page, 'n8n-node-creator');
});

it('adds the trigger and opens every option of its parameters', async () => {
	await creator().getByText('On new Memories.ai Live Video event').click();
	await expectPanelOf('Memories.ai Live Video Trigger');
	await tryEveryOption(property(TRIGGER_TYPE, 'mode'), 'Watch a Stream', async (name) => {
		const token = ndv().getByTestId('parameter-input-callbackToken');
		if (/Receive/.test(name)) await expect(token).toBeVisibleSoon();
		else await token.waitFor({ state: 'detached' });
	});
	await tryEveryOption(property(TRIGGER_TYPE, 'emit'), 'Every Result', async (name) => {
		if (/keyword/i.test(name)) await expect(ndv().getByTestId('parameter-input-keywords')).toBeVisibleSoon();
		if (/regular expression/i.test(name)) await expect(ndv().getByTestId('parameter-input-regex')).toBeVisibleSoon();
	});
	await addEveryCollectionOption(property(TRIGGER_TYPE, 'options'));
	await ndv().getByTestId('parameter-input-rtmpUrl').locator('input, textarea').first().fill('rtmp://camera.example.com/live/kitchen');
	await ndv().getByTestId('parameter-input-userPrompt').locator('input, textarea').first().fill('Tell me when the pan is boiling over.');
	await saveScreenshot(page, 'n8n-trigger-panel');
});

/** Saves the credential dialog and resolves with n8n's answer to the credential test that saving runs. */
async function saveAndTest(modal: Locator): Promise<{ status: string; message: string }> {
	const tested = page.waitForResponse((r) => r.url().endsWith('/rest/credentials/test') && r.request().method() === 'POST');
	await modal.getByTestId('credential-save-button').click();
	return (await (await tested).json()).data;
}

it('creates the credential in its dialog: the test fails with our message for a wrong key and passes with a good one', async () => {
	await ndv().getByText('Connect to Memories.ai Live Video').click();
	const modal = page.getByTestId('editCredential-modal');
	await expect(modal).toBeVisibleSoon();
	const field = (name: string) => modal.getByTestId(`parameter-input-${name}`).locator('input').first();
	await field('apiKey').fill(WRONG_KEY);
	await field('baseUrl').fill(sandbox.url);
	const wrong = await saveAndTest(modal);
	expect(wrong).toEqual({ status: 'Error', message: expect.stringMatching(/^memories\.ai did not accept the API key \(HTTP 401\)\. Check the API key/) });
	await expect(modal.getByText(/Couldn.t connect with these settings/)).toBeVisibleSoon();
	await modal.getByText('More details').click();
	await expect(modal.getByText(wrong.message)).toBeVisibleSoon();
	await saveScreenshot(page, 'n8n-credential-wrong-key');
	await field('apiKey').fill(KEY);
	expect(await saveAndTest(modal)).toMatchObject({ status: 'OK' });
	// A new credential's dialog closes itself once its test passed.
	await modal.waitFor({ state: 'hidden' });
	await expect(ndv().getByTestId('node-credentials-select')).toBeVisibleSoon();
	expect(sandbox.activeTasks()).toEqual([]); // the test costs nothing: it stops a task that cannot exist
});

it('listens for a test event: a stream starts, its first result is the output, the stream is stopped', async () => {
	const started = sandbox.waitFor('task-started', undefined, 60_000);
	const ended = sandbox.waitFor('task-ended', undefined, 120_000);
	await ndv().getByTestId('node-execute-button').click();
	const task = await started;
	expect(task.callback).toContain('/webhook-test/');
	const output = ndv().getByTestId('output-panel');
	await expect(output.getByText(task.taskId).first()).toBeVisibleSoon();
	await output.getByTestId('radio-button-json').click();
	await expect(output.getByText(new RegExp(task.taskId)).first()).toBeVisibleSoon();
	await page.mouse.move(0, 0); // no tooltip over the output
	await saveScreenshot(page, 'n8n-trigger-result');
	expect(await ended).toMatchObject({ taskId: task.taskId, endReason: 'stopped' });
	await ndv().getByTestId('ndv-close-button').click();
	await ndv().waitFor({ state: 'hidden' });
});

it('finds the action in "What happens next?" by "memories" and by its name, adds Start and opens every option', async () => {
	await page.getByTestId('canvas-handle-plus').first().click();
	await expect(creator().getByText('What happens next?')).toBeVisibleSoon();
	const search = page.getByTestId('node-creator-search-bar');
	await search.fill('Memories.ai Live Video');
	await expect(creatorItem('Memories.ai Live Video')).toBeVisibleSoon();
	await search.fill('memories');
	await expect(creatorItem('Memories.ai Live Video')).toBeVisibleSoon();
	await creatorItem('Memories.ai Live Video').click();
	const operations = property(ACTION_TYPE, 'operation').options ?? [];
	for (const operation of operations) {
		await expect(creator().getByText(String((operation as { action?: string }).action ?? operation.name))).toBeVisibleSoon();
	}
	await saveScreenshot(page, 'n8n-node-creator-actions');
	const startAction = String((operations.find((o) => o.value === 'start') as { action?: string } | undefined)?.action);
	await creator().getByText(startAction).click();
	await expectPanelOf(startAction); // n8n names a node added from an action after it
	await tryEveryOption(property(ACTION_TYPE, 'operation'), 'Start', async (name) => {
		const taskId = ndv().getByTestId('parameter-input-taskId');
		if (name === 'Stop') {
			await expect(taskId).toBeVisibleSoon();
			const stopOptions = types.find((t) => t.name === ACTION_TYPE)!.properties.find((p) => p.name === 'options' && JSON.stringify(p.displayOptions).includes('stop'));
			if (stopOptions) await addEveryCollectionOption(stopOptions);
		} else {
			await taskId.waitFor({ state: 'detached' });
		}
	});
	await expect(ndv().getByTestId('parameter-input-callbackUrl')).toBeVisibleSoon();
	await saveScreenshot(page, 'n8n-action-panel');
});

it('shows an execution of the active Watch example with the result it received', async () => {
	const watch = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../examples/n8n/watch-stream-post-matches.json'), 'utf8'));
	const trigger = watch.nodes.find((n: { type: string }) => n.type === TRIGGER_TYPE);
	trigger.parameters.emit = 'all';
	watch.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.httpRequest').parameters.url = `${sink.url}/alert`;
	const credential = trigger.credentials.memoriesLiveVideoApi;
	fs.writeFileSync(path.join(work, 'credential.json'), JSON.stringify([{ ...credential, type: 'memoriesLiveVideoApi', data: { apiKey: KEY, baseUrl: sandbox.url } }]));
	fs.writeFileSync(path.join(work, 'watch.json'), JSON.stringify(watch));
	expect((await n8n.cli(['import:credentials', `--input=${path.join(work, 'credential.json')}`])).code).toBe(0);
	expect((await n8n.cli(['import:workflow', `--input=${path.join(work, 'watch.json')}`])).code).toBe(0);
	const started = sandbox.waitFor('task-started', undefined, 60_000);
	await api.activateWorkflow(watch.id);
	const task = await started;
	const [first] = await n8n.waitForExecutions(watch.id, 1, 60_000);
	await api.deactivateWorkflow(watch.id);
	expect(sandbox.activeTasks()).toEqual([]);
	expect(first.status).toBe('success');
	await page.goto(`${n8n.baseUrl}/workflow/${watch.id}/executions/${first.id}`);
	const node = page.getByTestId('canvas-node').filter({ hasText: trigger.name });
	await expect(node).toBeVisibleSoon();
	await expect(page.getByText('1 item').first()).toBeVisibleSoon();
	await saveScreenshot(page, 'n8n-execution');
	await node.dblclick();
	const output = ndv().getByTestId('output-panel');
	await expect(output.getByText(task.taskId).first()).toBeVisibleSoon();
	await saveScreenshot(page, 'n8n-execution-result');
	await ndv().getByTestId('ndv-close-button').click();
});

it("raised no console error but n8n's own named ones", () => {
	const ours = problems.filter((p) => !HARMLESS.some((h) => h.test(p)));
	expect(ours).toEqual([]);
});
