'use strict';
// Proves scripts/lib/n8n-host.js against a real n8n: a throwaway community package (a webhook trigger with
// checkExists/create/delete hooks and a credential, plain JS) is installed, a credential and a workflow are
// imported with the CLI, the workflow is activated through the public API, its production webhook is
// called (wrong secret: 401 and no execution; right secret: an execution reaching a local sink through a
// Code node and an HTTP Request node), n8n is restarted, the workflow deactivated, activated again from the
// CLI while n8n runs, and finally n8n is stopped and no process may be left.
// Run: node scripts/lib/n8n-host.selftest.js   (installs n8n into the cache first if needed)

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const host = require('./n8n-host');
const { freePort } = require('./ports');

const PKG = 'n8n-nodes-hosttest';
const WF = 'hostTestWf000001';
const MANUAL_WF = 'hostTestManual01';
const WEBHOOK_ID = '5b0c5d1e-0a53-4c1a-9d43-7d3f0c1a2b3c';
const SECRET = 's3cret';

let passed = 0;
let failed = 0;
/** @param {string} name @param {() => unknown} fn */
async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log(`ok - ${name}`);
	} catch (error) {
		failed++;
		console.log(`not ok - ${name}\n  ${String(/** @type {Error} */ (error).stack).split('\n').join('\n  ')}`);
	}
}

/** A sink that records hook calls (/events) and workflow output (/sink). */
async function startSink() {
	/** @type {{ path: string, body: any }[]} */
	const received = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (d) => (body += d));
		req.on('end', () => {
			let parsed = body;
			try {
				parsed = JSON.parse(body);
			} catch {}
			received.push({ path: req.url ?? '', body: parsed });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
		});
	});
	const port = await freePort();
	await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		events: () => received.filter((r) => r.path === '/events').map((r) => r.body.event),
		clearEvents: () => received.splice(0, received.length, ...received.filter((r) => r.path !== '/events')),
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

/** Writes a tiny community-node package (plain JS, as a build would emit it). @param {string} dir */
function writePackage(dir) {
	const files = {
		'package.json': JSON.stringify({
			name: PKG,
			version: '0.0.1',
			keywords: ['n8n-community-node-package'],
			license: 'MIT',
			main: 'index.js',
			files: ['dist'],
			n8n: {
				n8nNodesApiVersion: 1,
				strict: true,
				credentials: ['dist/credentials/HostTestApi.credentials.js'],
				nodes: ['dist/nodes/HostTest/HostTestTrigger.node.js'],
			},
			peerDependencies: { 'n8n-workflow': '*' },
		}, null, 2),
		'index.js': '',
		'dist/credentials/HostTestApi.credentials.js': `'use strict';
class HostTestApi {
	constructor() {
		this.name = 'hostTestApi';
		this.displayName = 'Host Test API';
		this.properties = [
			{ displayName: 'Secret', name: 'secret', type: 'string', typeOptions: { password: true }, default: '' },
			{ displayName: 'Events URL', name: 'eventsUrl', type: 'string', default: '' },
		];
	}
}
exports.HostTestApi = HostTestApi;
`,
		'dist/nodes/HostTest/HostTestTrigger.node.js': `'use strict';
// Reports every hook call to the credential's events URL so the self-test can see which ran.
async function report(ctx, event, extra) {
	const creds = await ctx.getCredentials('hostTestApi');
	await ctx.helpers.httpRequest({
		method: 'POST',
		url: creds.eventsUrl + '/events',
		json: true,
		body: Object.assign({ event, mode: ctx.getMode(), activation: ctx.getActivationMode && ctx.getActivationMode() }, extra),
	});
}
class HostTestTrigger {
	constructor() {
		this.description = {
			displayName: 'Host Test Trigger',
			name: 'hostTestTrigger',
			icon: 'fa:bolt',
			group: ['trigger'],
			version: 1,
			description: 'Starts the workflow on a webhook call',
			defaults: { name: 'Host Test Trigger' },
			inputs: [],
			outputs: ['main'],
			credentials: [{ name: 'hostTestApi', required: true }],
			webhooks: [
				{
					name: 'default',
					httpMethod: 'POST',
					responseMode: 'onReceived',
					// Without responseData n8n answers the literal text "firstEntryJson"; 'noData' gives an empty body.
					responseData: '={{$parameter["responseData"]}}',
					path: 'hook',
				},
			],
			properties: [
				{ displayName: 'Label', name: 'label', type: 'string', default: 'x' },
				{ displayName: 'Response Data', name: 'responseData', type: 'string', default: 'noData' },
			],
		};
		this.webhookMethods = {
			default: {
				async checkExists() {
					const data = this.getWorkflowStaticData('node');
					await report(this, 'checkExists', { registered: !!data.registered });
					return !!data.registered;
				},
				async create() {
					const data = this.getWorkflowStaticData('node');
					data.registered = { url: this.getNodeWebhookUrl('default') };
					await report(this, 'create', { url: data.registered.url });
					return true;
				},
				async delete() {
					const data = this.getWorkflowStaticData('node');
					await report(this, 'delete', { had: data.registered || null });
					delete data.registered;
					return true;
				},
			},
		};
	}
	async webhook() {
		const req = this.getRequestObject();
		const creds = await this.getCredentials('hostTestApi');
		if (req.headers['x-secret'] !== creds.secret) {
			this.getResponseObject().status(401).end();
			return { noWebhookResponse: true };
		}
		if (req.headers['x-throw']) throw new Error('thrown by webhook()');
		const workflowData = [[{ json: { body: req.body, label: this.getNodeParameter('label') } }]];
		if (req.headers['x-respond']) return { webhookResponse: JSON.parse(req.headers['x-respond']), workflowData };
		return { workflowData };
	}
}
exports.HostTestTrigger = HostTestTrigger;
`,
	};
	for (const [file, text] of Object.entries(files)) {
		fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
		fs.writeFileSync(path.join(dir, file), text);
	}
}

/** @param {string} sinkUrl */
function workflows(sinkUrl) {
	const webhookWf = {
		id: WF,
		name: 'Host test webhook',
		active: false,
		nodes: [
			{
				id: '0f6d8f8e-1111-4e8e-9a55-000000000001',
				name: 'Host Test Trigger',
				type: `${PKG}.hostTestTrigger`,
				typeVersion: 1,
				position: [0, 0],
				webhookId: WEBHOOK_ID,
				parameters: { label: 'hello' },
				credentials: { hostTestApi: { id: 'hostTestCred01', name: 'Host test credential' } },
			},
			{
				id: '0f6d8f8e-1111-4e8e-9a55-000000000002',
				name: 'Code',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [200, 0],
				parameters: { jsCode: "return $input.all().map((i) => ({ json: { ...i.json, viaCode: true } }));" },
			},
			{
				id: '0f6d8f8e-1111-4e8e-9a55-000000000003',
				name: 'Sink',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [400, 0],
				parameters: {
					method: 'POST',
					url: `${sinkUrl}/sink`,
					sendBody: true,
					specifyBody: 'json',
					jsonBody: '={{ JSON.stringify($json) }}',
					options: {},
				},
			},
		],
		connections: {
			'Host Test Trigger': { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
			Code: { main: [[{ node: 'Sink', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
	const manualWf = {
		id: MANUAL_WF,
		name: 'Host test manual',
		active: false,
		nodes: [
			{ id: '0f6d8f8e-2222-4e8e-9a55-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: '0f6d8f8e-2222-4e8e-9a55-000000000002',
				name: 'Sink',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [200, 0],
				parameters: { method: 'POST', url: `${sinkUrl}/sink`, sendBody: true, specifyBody: 'json', jsonBody: '{"manual":true}', options: {} },
			},
		],
		connections: { Start: { main: [[{ node: 'Sink', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
	return [webhookWf, manualWf];
}

/** Processes (other than us) whose environment names this user folder. @param {string} userFolder */
function processesUsing(userFolder) {
	const found = [];
	for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
		try {
			const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
			if (environ.includes(`N8N_USER_FOLDER=${userFolder}\0`)) found.push(Number(pid));
		} catch {}
	}
	return found;
}

/** @param {string} url @param {{ secret?: string, body?: string, method?: string, contentType?: string }} [o] */
async function post(url, { secret = SECRET, body = '{"hello":"world"}', method = 'POST', contentType = 'application/json' } = {}) {
	const res = await fetch(url, {
		method,
		headers: { 'content-type': contentType, 'x-secret': secret },
		body: method === 'GET' ? undefined : body,
	});
	return { status: res.status, text: await res.text() };
}

async function main() {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-host-selftest-'));
	const sink = await startSink();
	try {
		await scenario(work, sink);
	} finally {
		await sink.close();
		fs.rmSync(work, { recursive: true, force: true });
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
}

/** @param {string} work @param {Awaited<ReturnType<typeof startSink>>} sink */
async function scenario(work, sink) {
	const pkgDir = path.join(work, PKG);
	writePackage(pkgDir);
	const userFolder = path.join(work, 'user');
	const credFile = path.join(work, 'credentials.json');
	fs.writeFileSync(credFile, JSON.stringify([
		{ id: 'hostTestCred01', name: 'Host test credential', type: 'hostTestApi', data: { secret: SECRET, eventsUrl: sink.url } },
	]));
	const wfFile = path.join(work, 'workflows.json');
	fs.writeFileSync(wfFile, JSON.stringify(workflows(sink.url)));

	const t0 = Date.now();
	await host.ensureN8n();
	console.log(`# ensureN8n: ${Date.now() - t0} ms`);

	const t1 = Date.now();
	const n8n = await host.startN8n({ packageDirs: [pkgDir], userFolder, env: { N8N_PAYLOAD_SIZE_MAX: '1' } });
	const startMs = Date.now() - t1;
	console.log(`# first start (fresh database, migrations): ${startMs} ms`);
	/** @type {number[]} */
	const pids = [];
	try {
		const webhookUrl = n8n.webhookUrl(`${WEBHOOK_ID}/hook`);
		// Production URL of a webhook node with a webhookId and a static path: /webhook/<webhookId>/<path>.

		await check('CLI import:credentials and import:workflow work while n8n runs', async () => {
			const c = await n8n.cli(['import:credentials', `--input=${credFile}`]);
			assert.equal(c.code, 0, c.stdout + c.stderr);
			const w = await n8n.cli(['import:workflow', `--input=${wfFile}`]);
			assert.equal(w.code, 0, w.stdout + w.stderr);
			const rows = await n8n.sql('SELECT id, activeVersionId FROM workflow_entity ORDER BY id');
			assert.deepEqual(rows.map((r) => r.id).sort(), [WF, MANUAL_WF].sort());
		});

		const api = await n8n.createOwnerAndApiKey();
		await check('owner and API key created headlessly; public API answers', async () => {
			const r = await api.api('GET', '/workflows');
			assert.equal(r.status, 200, JSON.stringify(r.body));
			assert.equal(r.body.data.length, 2);
		});

		await check('activate through the public API runs checkExists then create; static data persisted', async () => {
			await api.activateWorkflow(WF);
			assert.deepEqual(sink.events(), ['checkExists', 'create']);
			const created = sink.received.find((r) => r.body?.event === 'create')?.body;
			assert.equal(created.url, webhookUrl);
			assert.equal(created.mode, 'trigger');
			assert.equal(created.activation, 'activate');
			const data = await n8n.staticData(WF);
			assert.deepEqual(data, { 'node:Host Test Trigger': { registered: { url: webhookUrl } } });
			const hooks = await n8n.webhooks(WF);
			assert.equal(hooks.length, 1);
			assert.equal(hooks[0].method, 'POST');
		});

		await check('wrong secret: 401, empty body, no execution', async () => {
			const r = await post(webhookUrl, { secret: 'wrong' });
			assert.equal(r.status, 401);
			assert.equal(r.text, '');
			await new Promise((resolve) => setTimeout(resolve, 1500));
			assert.equal((await n8n.listExecutions(WF)).length, 0);
		});

		await check('right secret: 200 and one execution through Code and HTTP Request to the sink', async () => {
			const r = await post(webhookUrl);
			assert.equal(r.status, 200, r.text);
			const runs = await n8n.waitForExecutions(WF, 1);
			assert.equal(runs.length, 1);
			assert.equal(runs[0].status, 'success');
			assert.equal(runs[0].mode, 'webhook');
			const out = sink.received.find((x) => x.path === '/sink');
			assert.deepEqual(out?.body, { body: { hello: 'world' }, label: 'hello', viaCode: true });
			const viaApi = await api.listExecutions({ workflowId: WF });
			assert.equal(viaApi.length, 1);
		});

		await check('GET on the POST-only webhook: 404 (n8n lists the allowed methods), no execution', async () => {
			const r = await post(webhookUrl, { method: 'GET' });
			assert.equal(r.status, 404, r.text);
			assert.match(r.text, /not registered for GET/);
			assert.equal((await n8n.listExecutions(WF)).length, 1);
		});

		await check("n8n's own request handling: invalid JSON 422, too large 500, node throwing 500 + error execution", async () => {
			const count = async () => (await n8n.listExecutions(WF)).length;
			const before = await count();
			const bad = await post(webhookUrl, { body: '{"a":' });
			assert.equal(bad.status, 422, bad.text);
			assert.match(bad.text, /Failed to parse request body/);
			const big = await post(webhookUrl, { body: JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }) });
			assert.equal(big.status, 500, big.text); // N8N_PAYLOAD_SIZE_MAX=1 (MiB) for this instance
			await new Promise((resolve) => setTimeout(resolve, 1000));
			assert.equal(await count(), before);
			const res = await fetch(webhookUrl, { method: 'POST', headers: { 'x-secret': SECRET, 'x-throw': '1' } });
			assert.equal(res.status, 500);
			const runs = await n8n.waitForExecutions(WF, before + 1);
			assert.equal(runs.at(-1)?.status, 'error');
		});

		await check('restart (graceful) keeps the port; no hook method runs; webhook still live', async () => {
			sink.clearEvents();
			const before = (await n8n.listExecutions(WF)).length;
			const t = Date.now();
			await n8n.restart();
			console.log(`# restart: ${Date.now() - t} ms`);
			await new Promise((resolve) => setTimeout(resolve, 3000));
			assert.deepEqual(sink.events(), []);
			const r = await post(webhookUrl);
			assert.equal(r.status, 200, r.text);
			await n8n.waitForExecutions(WF, before + 1);
		});

		await check('deactivate through the public API runs delete; static data cleared; webhook gone (404)', async () => {
			sink.clearEvents();
			await api.deactivateWorkflow(WF);
			assert.deepEqual(sink.events(), ['delete']);
			assert.deepEqual(await n8n.staticData(WF), { 'node:Host Test Trigger': {} });
			assert.equal((await n8n.webhooks(WF)).length, 0);
			const r = await post(webhookUrl);
			assert.equal(r.status, 404);
		});

		await check('test mode ("Listen for test event" via REST): create on listen, delete after the first run', async () => {
			sink.clearEvents();
			const testUrl = n8n.webhookUrl(`${WEBHOOK_ID}/hook`, { test: true });
			const listen = await api.rest('POST', `/workflows/${WF}/run`, { triggerToStartFrom: { name: 'Host Test Trigger' } });
			assert.equal(listen.status, 200, JSON.stringify(listen.body));
			assert.equal(listen.body.data.waitingForWebhook, true);
			assert.deepEqual(sink.events(), ['checkExists', 'create']);
			const created = sink.received.find((r) => r.body?.event === 'create')?.body;
			assert.deepEqual([created.url, created.mode, created.activation], [testUrl, 'manual', 'manual']);
			// test static data lives in the test-webhook registration, not in the database
			assert.deepEqual(await n8n.staticData(WF), { 'node:Host Test Trigger': {} });
			// a request the node answers itself without workflow data does not end the listening
			assert.equal((await post(testUrl, { secret: 'wrong' })).status, 401);
			await new Promise((resolve) => setTimeout(resolve, 500));
			assert.deepEqual(sink.events(), ['checkExists', 'create']);
			const r = await post(testUrl);
			assert.equal(r.status, 200, r.text);
			for (let i = 0; i < 50 && !sink.events().includes('delete'); i++) await new Promise((res) => setTimeout(res, 100));
			assert.deepEqual(sink.events(), ['checkExists', 'create', 'delete']);
			const deleted = sink.received.find((x) => x.body?.event === 'delete')?.body;
			assert.deepEqual(deleted.had, { url: testUrl });
			const runs = (await n8n.listExecutions(WF)).filter((x) => x.mode === 'manual');
			assert.equal(runs.length, 1);
			assert.equal((await post(testUrl)).status, 404);
			// listening again, then stopping it (DELETE /rest/test-webhook/:id, as the editor does) runs delete
			sink.clearEvents();
			assert.equal((await api.rest('POST', `/workflows/${WF}/run`, { triggerToStartFrom: { name: 'Host Test Trigger' } })).status, 200);
			assert.equal((await api.rest('DELETE', `/test-webhook/${WF}`)).status, 200);
			for (let i = 0; i < 50 && !sink.events().includes('delete'); i++) await new Promise((res) => setTimeout(res, 100));
			assert.deepEqual(sink.events(), ['checkExists', 'create', 'delete']);
		});

		await check('CLI publish:workflow on the running instance is applied by the reconciler', async () => {
			sink.clearEvents();
			const before = (await n8n.listExecutions(WF)).length;
			const c = await n8n.cli(['publish:workflow', `--id=${WF}`]);
			assert.equal(c.code, 0, c.stdout + c.stderr);
			await n8n.waitForActivations(30_000);
			const t = Date.now();
			while ((await n8n.webhooks(WF)).length === 0 && Date.now() - t < 30_000) await new Promise((r) => setTimeout(r, 200));
			assert.deepEqual(sink.events(), ['checkExists', 'create']);
			const r = await post(webhookUrl);
			assert.equal(r.status, 200, r.text);
			await n8n.waitForExecutions(WF, before + 1);
		});

		await check('CLI unpublish:workflow on the running instance is applied by the reconciler', async () => {
			sink.clearEvents();
			const c = await n8n.cli(['unpublish:workflow', `--id=${WF}`]);
			assert.equal(c.code, 0, c.stdout + c.stderr);
			const t = Date.now();
			while ((await n8n.webhooks(WF)).length > 0 && Date.now() - t < 30_000) await new Promise((r) => setTimeout(r, 200));
			assert.equal((await n8n.webhooks(WF)).length, 0);
			for (let i = 0; i < 50 && sink.events().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
			assert.deepEqual(sink.events(), ['delete']);
			assert.equal((await post(webhookUrl)).status, 404);
		});

		await check('CLI execute --id of a Manual Trigger workflow while n8n runs', async () => {
			const before = sink.received.filter((x) => x.body?.manual).length;
			const c = await n8n.cli(['execute', `--id=${MANUAL_WF}`]);
			console.log(`# execute exit ${c.code}; stdout tail: ${c.stdout.trim().split('\n').slice(-3).join(' | ')}`);
			assert.equal(c.code, 0, c.stdout + c.stderr);
			assert.equal(sink.received.filter((x) => x.body?.manual).length, before + 1);
			const runs = await n8n.listExecutions(MANUAL_WF);
			assert.equal(runs.length, 1);
			assert.equal(runs[0].mode, 'cli');
		});

		await check('manual workflow through the internal REST API (POST /rest/workflows/:id/run)', async () => {
			const before = sink.received.filter((x) => x.body?.manual).length;
			const r = await api.rest('POST', `/workflows/${MANUAL_WF}/run`, { triggerToStartFrom: { name: 'Start' } });
			assert.equal(r.status, 200, JSON.stringify(r.body));
			const runs = await n8n.waitForExecutions(MANUAL_WF, 2);
			assert.equal(runs[1].mode, 'manual');
			assert.equal(runs[1].status, 'success');
			assert.equal(sink.received.filter((x) => x.body?.manual).length, before + 1);
		});

		pids.push(...processesUsing(userFolder));
		await check('n8n runs as a process tree (watchdog, n8n, task runner)', () => {
			assert.ok(pids.length >= 2, `pids: ${pids}`);
		});
	} catch (error) {
		failed++;
		console.log(`not ok - unexpected error: ${/** @type {Error} */ (error).stack}`);
		console.log(n8n.logs().split('\n').slice(-80).join('\n'));
	} finally {
		const t = Date.now();
		await n8n.stop();
		console.log(`# stop: ${Date.now() - t} ms`);
	}
	await check('after stop no process is left', () => {
		assert.deepEqual(processesUsing(userFolder), []);
		for (const pid of pids) assert.throws(() => process.kill(pid, 0));
	});
	await check('a crash (SIGKILL) stop and a fresh start on an existing user folder work', async () => {
		const again = await host.startN8n({ packageDirs: [pkgDir], userFolder });
		try {
			assert.equal((await again.listExecutions(WF)).length >= 3, true);
		} finally {
			await again.stop({ signal: 'SIGKILL' });
		}
		assert.deepEqual(processesUsing(userFolder), []);
	});
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exitCode = 1;
	});
}

module.exports = { writePackage, workflows, startSink, processesUsing, PKG, WF, MANUAL_WF, WEBHOOK_ID, SECRET };
