// The Node-RED editor with our package (the packed tarball in a real Node-RED 4.1), in headless
// Chromium: node types and palette, validators (the core's own rules from the package's
// resources/), the first example deployed against the sandbox with live statuses, the start and
// results dialogs and the help sidebar measured for anything that runs out of its box, an example
// import, and no error in the browser. Takes the README's screenshots on the way.
import { execFileSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { validateRtmpUrl } from '../../../core';
import { Sandbox, startSandbox } from '../../../sandbox/src';
import { saveScreenshot } from '../support/screenshots';
import { Browser, Rect, openBrowser } from './support/browser';
import { MEASURE } from './support/measure';
import { endSuite } from '../../support/suite-end';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const host = require('../../../scripts/lib/node-red-host');

const ROOT = path.join(__dirname, '../../..');
const KEY = 'sk-e2e-editor-key';
const TYPES = ['memories-live-config', 'memories-live-results', 'memories-live-start', 'memories-live-stop'];
const EXAMPLE_FILE = path.join(ROOT, 'node-red/examples/01 - Watch a stream and log results.json');
const EXAMPLE: Array<Record<string, unknown>> = JSON.parse(fs.readFileSync(EXAMPLE_FILE, 'utf8'));
const idOf = (type: string, name?: string) => EXAMPLE.find((n) => n.type === type && (name === undefined || n.name === name))!.id as string;
/**
 * Where a status may end, from the left edge of its node: the narrowest node Node-RED draws
 * (100 px) and the 60 px a wire needs before the next node. The label starts 23 px in.
 */
const STATUS_BUDGET_PX = 100 + 60 - 23;

jest.setTimeout(4 * 60 * 1000);

let work: string;
let sandbox: Sandbox;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let red: any;
let browser: Browser;

const screenshot = async (name: string, clip?: Rect) => saveScreenshot(await browser.screenshot(clip), 'node-red', name, 'node-red/screenshots');
const settle = () => new Promise((resolve) => setTimeout(resolve, 400)); // the editor's slide-in animations have no event to await

/** The example as a user would have set it up for the sandbox: its account pointed at it, with a key. */
function deployedExample(publicUrl: string) {
	// An example file has no tab of its own (it is imported into the current one): deployed, it needs one.
	const tab = { id: EXAMPLE.find((n) => n.z)!.z, type: 'tab', label: 'Watch a stream' };
	return [tab, ...EXAMPLE].map((n) => {
		if (n.type === 'memories-live-config') return { ...n, baseUrl: sandbox.url, publicUrl, credentials: { apiKey: KEY } };
		if (n.type === 'memories-live-results') return { ...n, credentials: { secret: crypto.randomBytes(32).toString('base64url') } };
		return n;
	});
}

beforeAll(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-editor-'));
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(ROOT, 'node-red'), encoding: 'utf8' }),
	)[0];
	sandbox = await startSandbox({ intervalMs: 1000, keys: [KEY] });
	red = await host.startNodeRed({ version: '4.1', tarballs: [path.join(work, packed.filename)] });
	await red.deploy(deployedExample(red.baseUrl));
	browser = await openBrowser({ width: 1280, height: 800 });
	await browser.navigate(`${red.baseUrl}/`);
	await browser.until("typeof RED !== 'undefined' && RED.nodes && RED.nodes.getType('memories-live-start') && RED.workspaces.active() && RED.nodes.filterNodes({ type: 'memories-live-start' }).length === 1");
	// Connected to the runtime (its state arrives over the editor's websocket): inject buttons work from here on.
	await browser.until('RED.runtime.started');
	await browser.evaluate(MEASURE);
});

afterAll(async () => {
	await browser?.close();
	await red?.stop();
	await endSuite({ sandboxes: [sandbox], work });
});

it('registers the four types and shows three nodes in the palette category "memories.ai", as the README says', async () => {
	const types = await browser.evaluate<string[]>(`${JSON.stringify(TYPES)}.filter(function (t) { return !!RED.nodes.getType(t); })`);
	expect(types).toEqual(TYPES);
	await browser.until("$('.red-ui-palette-node[data-palette-type^=\"memories-live\"]').length === 3");
	expect(await browser.evaluate<string>("RED.nodes.getType('memories-live-start').category")).toBe('memories.ai');
	// The header Node-RED derives from the category (escaped to memories_ai, "_" shown as a space) unless the catalogue names it.
	const header = await browser.evaluate<string>("$('#red-ui-palette-header-memories_ai span').text()");
	expect(header).toBe('memories.ai');
	expect(fs.readFileSync(path.join(ROOT, 'node-red/README.md'), 'utf8')).toContain(`in the palette under **${header}**`);
});

it('validates with the core rules, loaded from the package resources', async () => {
	const message = await browser.evaluate<string>("RED.nodes.getType('memories-live-start').defaults.rtmpUrl.validate.call({}, 'http://cam.example/x', {})");
	let expected = '';
	try {
		validateRtmpUrl('http://cam.example/x');
	} catch (error) {
		expected = (error as Error).message;
	}
	expect(message).toBe(expected);
	expect(await browser.evaluate("RED.nodes.getType('memories-live-start').defaults.rtmpUrl.validate.call({}, 'rtmp://cam.example/live', {})")).toBe(true);
	expect(await browser.evaluate("RED.nodes.getType('memories-live-results').defaults.regex.validate.call({ emit: 'regex' }, 'boil(', {})")).toMatch(/Regular Expression is not valid/);
	expect(await browser.evaluate("RED.nodes.getType('memories-live-results').defaults.path.validate.call({}, '/memories/:id', {})")).toMatch(/Path may only contain/);
});

describe('the first example, deployed against the sandbox', () => {
	it('starts a stream from its inject button and shows live statuses that overlap no other node', async () => {
		const start = await browser.evaluate<{ x: number; y: number }>(`measure.button(${JSON.stringify(idOf('inject', 'start watching'))})`);
		await browser.click(start.x, start.y);
		// Results arrive every second; the debug sidebar shows them as a user sees them.
		await browser.evaluate("RED.sidebar.show('debug'); $('#red-ui-palette-search input').searchBox('value', 'memories'); true");
		await browser.until(
			"measure.statuses().some(function (s) { return s.type === 'memories-live-results' && /^([3-9]|\\d\\d+) results, \\d+s ago$/.test(s.text); })",
			60000,
		);
		await browser.until("$('.red-ui-debug-msg').length >= 3", 30000);
		const statuses = await browser.evaluate<Array<{ node: string; type: string; text: string; overlaps: string[]; clipped: boolean; textWidth: number }>>('measure.statuses()');
		expect(statuses.map((s) => [s.type, s.text.replace(/\d+/g, 'N')])).toEqual(
			expect.arrayContaining([
				['memories-live-start', 'N stream(s) running'],
				['memories-live-results', 'N results, Ns ago'],
			]),
		);
		expect(statuses.filter((s) => s.overlaps.length > 0 || s.clipped)).toEqual([]);
		// The editor's text measure (used for the budget below) is the width the canvas draws.
		for (const s of statuses) expect(Math.abs((await browser.evaluate<number>(`measure.statusWidth(${JSON.stringify(s.text)})`)) - s.textWidth)).toBeLessThan(2);
		expect(sandbox.activeTasks(KEY)).toHaveLength(1);
		await screenshot('flow.png');
	});

	it("opens the start node's dialog with the callback URL the runtime builds, secret masked, inside its hint box", async () => {
		await browser.evaluate(`RED.editor.edit(RED.nodes.node(${JSON.stringify(idOf('memories-live-start'))})); true`);
		await browser.until("$('#memories-live-start-preview').text().indexOf('token=***') !== -1");
		expect(await browser.evaluate<string>("$('#memories-live-start-preview').text()")).toContain(`${red.baseUrl}/memories/kitchen?token=***`);
		expect(await browser.evaluate('measure.overflow("#memories-live-start-preview")')).toEqual([]);
		await browser.evaluate("$('#node-dialog-cancel').click(); true");
		await settle();
	});

	it('keeps a long callback URL inside the hint box too; the README shows it with a real-service Public URL', async () => {
		// Only in the editor (never deployed): how the dialog looks for an account set up for the real service.
		const account = JSON.stringify(idOf('memories-live-config'));
		for (const publicUrl of ['https://nodered-with-a-rather-long-host-name.example.com/behind/a/proxy/sub/path', 'https://nodered.example.com']) {
			await browser.evaluate(`RED.nodes.node(${account}).publicUrl = ${JSON.stringify(publicUrl)}; RED.editor.edit(RED.nodes.node(${JSON.stringify(idOf('memories-live-start'))})); true`);
			await browser.until(`$('#memories-live-start-preview').text().indexOf(${JSON.stringify(`${publicUrl}/memories/kitchen?token=***`)}) !== -1`);
			await settle();
			expect(await browser.evaluate('measure.overflow("#memories-live-start-preview")')).toEqual([]);
			expect(await browser.evaluate('measure.overflow("#dialog-form")')).toEqual([]);
			if (publicUrl === 'https://nodered.example.com') await screenshot('start-dialog.png', await browser.evaluate<Rect>('measure.box(".red-ui-tray")'));
			await browser.evaluate("$('#node-dialog-cancel').click(); true");
			await settle();
		}
		await browser.evaluate(`RED.nodes.node(${account}).publicUrl = ${JSON.stringify(red.baseUrl)}; true`);
	});

	it("opens the results node's dialog with its callback path inside the tip", async () => {
		await browser.evaluate(`RED.editor.edit(RED.nodes.node(${JSON.stringify(idOf('memories-live-results'))})); true`);
		await browser.until("$('#memories-live-results-callback').text() === '/memories/kitchen'");
		await settle();
		expect(await browser.evaluate('measure.overflow("#memories-live-results-callback-tip")')).toEqual([]);
		expect(await browser.evaluate('measure.overflow("#dialog-form")')).toEqual([]);
		// Example 01 predates the events settings: the dialog shows what the node runs with, not blanks.
		expect(await browser.evaluate("[$('#node-input-answerFormat').val(), $('#node-input-stallSeconds').val(), $('#node-input-summary').prop('checked')]")).toEqual(['text', '30', false]);
		await screenshot('results-dialog.png', await browser.evaluate<Rect>('measure.box(".red-ui-tray")'));
		// A long path wraps as well.
		await browser.evaluate("$('#node-input-path').val('/memories/' + 'a-long-path-segment/'.repeat(6) + 'results').trigger('change'); true");
		expect(await browser.evaluate('measure.overflow("#memories-live-results-callback-tip")')).toEqual([]);
		await browser.evaluate("$('#node-dialog-cancel').click(); true");
		await settle();
	});

	it('stops the stream from the "stop all" button', async () => {
		const stop = await browser.evaluate<{ x: number; y: number }>(`measure.button(${JSON.stringify(idOf('inject', 'stop all'))})`);
		await browser.click(stop.x, stop.y);
		await browser.until("measure.statuses().some(function (s) { return s.type === 'memories-live-stop' && s.text === '1 stopped, 0 gone'; })", 30000);
		await browser.until("measure.statuses().some(function (s) { return s.type === 'memories-live-start' && s.text === 'no stream running'; })", 30000);
		expect(sandbox.activeTasks(KEY)).toEqual([]);
		const statuses = await browser.evaluate<Array<{ overlaps: string[]; clipped: boolean }>>('measure.statuses()');
		expect(statuses.filter((s) => s.overlaps.length > 0 || s.clipped)).toEqual([]);
	});
});

/** Every status text a node type can show, with its widest numbers. */
function worstStatuses(type: string): string[] {
	// minutes: a week of 4 streams, billed (the start node's meter shows whole minutes from 100 on).
	const worst: Record<string, string> = { count: '99', received: '9999', rejected: '9999', stopped: '99', missing: '99', ago: '59m', minutes: '40320' };
	const catalogue = JSON.parse(fs.readFileSync(path.join(ROOT, `node-red/src/nodes/locales/en-US/${type}.json`), 'utf8'))[type];
	const reasons = Object.values<string>(catalogue.status.reason ?? {});
	const texts = Object.values<unknown>(catalogue.status)
		.filter((t): t is string => typeof t === 'string')
		.flatMap((template) => (reasons.length ? reasons : ['']).map((reason) => template.replace(/__(\w+)__/g, (_, name: string) => (name === 'reason' ? reason : worst[name] ?? name))));
	return [...new Set(texts)];
}
const STATUS_TYPES = ['memories-live-results', 'memories-live-start', 'memories-live-stop'];

it('has status texts that fit under the narrowest node whatever their numbers', async () => {
	const texts = STATUS_TYPES.flatMap(worstStatuses);
	const widths = await browser.evaluate<number[]>(`${JSON.stringify(texts)}.map(measure.statusWidth)`);
	const tooWide = texts.map((text, i) => ({ text, width: Math.round(widths[i]) })).filter((t) => t.width > STATUS_BUDGET_PX);
	expect(tooWide).toEqual([]);
});

it('lays out every example so that the widest status of each node overlaps no other node', async () => {
	const overlapping: Record<string, unknown[]> = {};
	for (const file of fs.readdirSync(path.join(ROOT, 'node-red/examples'))) {
		const example = fs.readFileSync(path.join(ROOT, 'node-red/examples', file), 'utf8');
		await browser.evaluate(`RED.view.importNodes(${JSON.stringify(example)}, { addFlow: true, generateIds: true }); true`);
		for (const type of STATUS_TYPES) {
			const widest = (await browser.evaluate<number[]>(`${JSON.stringify(worstStatuses(type))}.map(measure.statusWidth)`)).reduce((a, b) => Math.max(a, b), 0);
			await browser.evaluate(
				`(function () { var texts = ${JSON.stringify(worstStatuses(type))}; var text = texts.filter(function (t) { return measure.statusWidth(t) === ${widest}; })[0];` +
					` RED.nodes.filterNodes({ z: RED.workspaces.active(), type: ${JSON.stringify(type)} }).forEach(function (n) { n.status = { fill: 'green', shape: 'dot', text: text }; RED.view.redrawStatus(n); }); return true; })()`,
			);
		}
		await settle();
		// Overlaps only: a wide example may run past this 1280 px window (the user scrolls).
		const found = (await browser.evaluate<Array<{ node: string; text: string; overlaps: string[] }>>('measure.statuses()')).filter((s) => s.overlaps.length > 0);
		if (found.length) overlapping[file] = found;
	}
	expect(overlapping).toEqual({});
});

it('shows help for each node with nothing running past the help sidebar', async () => {
	const overflowing: Record<string, unknown[]> = {};
	for (const type of TYPES) {
		await browser.evaluate(`RED.sidebar.help.show(${JSON.stringify(type)}); true`);
		await browser.until(`$('.red-ui-help h1, .red-ui-help h2').first().text().length > 0 && $('.red-ui-help').text().indexOf(${JSON.stringify(type === 'memories-live-config' ? 'Public URL' : 'memories.ai')}) !== -1`);
		await settle();
		const found = await browser.evaluate<unknown[]>('measure.overflow(".red-ui-help", "#red-ui-sidebar-content")');
		if (found.length) overflowing[type] = found;
		if (type === 'memories-live-start') expect(await browser.evaluate<string>("$('.red-ui-help').text()")).toContain('You are a real-time video monitoring system.');
	}
	expect(overflowing).toEqual({});
});

it('imports an example whose nodes are all valid, giving the results node a secret', async () => {
	const example = fs.readFileSync(path.join(ROOT, 'node-red/examples/02 - Alert on keyword.json'), 'utf8');
	const nodes = await browser.evaluate<Array<{ type: string; valid: boolean }>>(
		`RED.view.importNodes(${JSON.stringify(example)}, { addFlow: true }); RED.nodes.filterNodes({ z: RED.workspaces.active() }).filter(function (n) { return /^memories-live/.test(n.type); }).map(function (n) { return { type: n.type, valid: n.valid }; })`,
	);
	expect(nodes.map((n) => n.type).sort()).toEqual(['memories-live-results', 'memories-live-start', 'memories-live-stop']);
	expect(nodes.every((n) => n.valid)).toBe(true);
	const secret = await browser.evaluate<string>("RED.nodes.filterNodes({ z: RED.workspaces.active(), type: 'memories-live-results' })[0].credentials.secret");
	expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
});

it("validates the results node's event settings and the account's budget with the core rules", async () => {
	const check = (type: string, property: string, node: object, value: unknown) =>
		browser.evaluate<string | boolean>(`RED.nodes.getType(${JSON.stringify(type)}).defaults.${property}.validate.call(${JSON.stringify(node)}, ${JSON.stringify(value)}, {})`);
	const results = (property: string, node: object, value: unknown) => check('memories-live-results', property, node, value);
	const declared = { answerFormat: 'json', emit: 'episodes', conditionType: 'fields', answerFields: [{ name: 'boiling_over', type: 'boolean' }] };
	expect(await results('answerFields', declared, [{ name: 'a', type: 'boolean' }, { name: 'a', type: 'number' }])).toMatch(/^Field 2 \("a"\): Name "a" is used twice/);
	expect(await results('answerFields', declared, [{ name: 'state', type: 'enum', options: '' }])).toMatch(/Options is empty/);
	expect(await results('answerFields', { ...declared, answerFormat: 'text' }, [{ name: 'a a' }])).toBe(true);
	expect(await results('rules', declared, [{ field: 'smoke', operator: 'is_true' }])).toMatch(/"smoke" is not a declared field/);
	expect(await results('rules', declared, [{ field: 'boiling_over', operator: 'is_true' }])).toBe(true);
	expect(await results('startAfterWindows', declared, 0)).toMatch(/^Start After \(Windows\) must be a whole number from 1 to 100/);
	expect(await results('cooldownSeconds', declared, 100000)).toMatch(/^Cooldown \(Seconds\) must be a number from 0 to 86400/);
	expect(await results('reminderMinutes', { emit: 'all' }, -5)).toBe(true);
	expect(await results('stallSeconds', {}, 3)).toMatch(/^Stalled After \(Seconds\) must be 0 \(off\)/);
	expect(await results('emit', {}, 'episodes')).toBe(true);
	expect(await results('keywords', { emit: 'condition', conditionType: 'keywords' }, ' , ')).toMatch(/Keywords is empty/);
	expect(await check('memories-live-config', 'dailyBudget', {}, 'lots')).toMatch(/^Daily Budget \(Stream-Minutes\) must be a number of minutes/);
	expect(await check('memories-live-config', 'dailyBudget', {}, '')).toBe(true);
});

it('imports "Alert once when the pan boils over" valid; its results dialog shows and saves its fields and rules, inside the dialog', async () => {
	const example = fs.readFileSync(path.join(ROOT, 'node-red/examples/04 - Alert once when the pan boils over.json'), 'utf8');
	const thePan = "RED.nodes.filterNodes({ z: RED.workspaces.active(), type: 'memories-live-results' })[0]";
	const nodes = await browser.evaluate<Array<{ type: string; valid: boolean }>>(
		`RED.view.importNodes(${JSON.stringify(example)}, { addFlow: true }); RED.nodes.filterNodes({ z: RED.workspaces.active() }).filter(function (n) { return /^memories-live/.test(n.type); }).map(function (n) { return { type: n.type, valid: n.valid }; })`,
	);
	expect(nodes.map((n) => n.type).sort()).toEqual(['memories-live-results', 'memories-live-start', 'memories-live-stop']);
	expect(nodes.every((n) => n.valid)).toBe(true);
	const original = JSON.parse(example).find((n: { type: string }) => n.type === 'memories-live-results');
	await browser.evaluate(`RED.editor.edit(${thePan}); true`);
	await browser.until("$('#memories-live-results-fields').editableList('items').length === 3 && $('#memories-live-results-rules').editableList('items').length === 1");
	await settle();
	const shown = await browser.evaluate<{ names: string[]; types: string[]; rule: string[]; episodesShown: boolean; keywordsShown: boolean }>(`({
		names: $('#memories-live-results-fields .memories-field-name').map(function () { return $(this).val(); }).get(),
		types: $('#memories-live-results-fields .memories-field-type').map(function () { return $(this).val(); }).get(),
		rule: [$('.memories-rule-field').val(), $('.memories-rule-operator').val()],
		episodesShown: $('#node-input-startAfterWindows').is(':visible'),
		keywordsShown: $('#node-input-keywords').is(':visible')
	})`);
	expect(shown).toEqual({ names: ['boiling_over', 'state', 'note'], types: ['boolean', 'enum', 'string'], rule: ['boiling_over', 'is_true'], episodesShown: true, keywordsShown: false });
	expect(await browser.evaluate('measure.overflow("#dialog-form")')).toEqual([]);
	// Choosing a field of another type offers that type's operators only.
	const operators = await browser.evaluate<string[]>("$('.memories-rule-field').val('state').trigger('change'); $('.memories-rule-operator option').map(function () { return $(this).val(); }).get()");
	expect(operators).toEqual(['equals', 'not_equals', 'is_one_of']);
	await browser.evaluate("$('.memories-rule-field').val('boiling_over').trigger('change'); $('.memories-rule-operator').val('is_true').trigger('change'); $('#node-dialog-ok').click(); true");
	await browser.until("!$('#memories-live-results-fields').length");
	await settle();
	const saved = await browser.evaluate<{ answerFields: unknown; rules: unknown }>(`(function (n) { return { answerFields: n.answerFields, rules: n.rules }; })(${thePan})`);
	expect(saved).toEqual({ answerFields: original.answerFields, rules: original.rules });
});

it('raised no error in the browser (besides the offline flow library)', () => {
	expect(browser.problems.filter((p) => !/catalogue\.nodered\.org|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(p))).toEqual([]);
});
