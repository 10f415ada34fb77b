'use strict';
/**
 * Proves scripts/lib/node-red-host.js against real Node-RED 4.1 (Node 20) and 5.x (Node 24):
 * packs a throwaway node package, installs it into a fresh userDir, deploys flows through the Admin
 * API, drives the node's own httpNode route, watches a local sink, redeploys (modified nodes, full),
 * restarts, stops with SIGINT, and checks that close handlers ran and no process is left.
 *
 *   node scripts/lib/node-red-host.selftest.js            # 4.1 + 5, npm install into userDir
 *   MLV_SELFTEST_VERSIONS=4.1 node scripts/lib/node-red-host.selftest.js
 *
 * Ends with the plain line "N passed, N failed".
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, startSink, sinkRequestNode, request, run, cleanEnv } = require('./node-red-host');

const TYPE = 'mlv-selftest-route';

/** The throwaway node package: one node owning a POST route on RED.httpNode. */
const FILES = {
	'package.json': JSON.stringify(
		{
			name: 'node-red-contrib-mlv-host-selftest',
			version: '0.1.0',
			description: 'Throwaway package for the node-red-host self test',
			keywords: ['node-red'],
			license: 'MIT',
			engines: { node: '>=18' },
			dependencies: { ms: '^2.1.3' },
			'node-red': { version: '>=3.1.0', nodes: { [TYPE]: 'nodes/route.js' } },
		},
		null,
		2,
	),
	'README.md': '# node-red-contrib-mlv-host-selftest\n\nThrowaway.\n',
	'nodes/route.js': `'use strict';
const http = require('http');
const ms = require('ms');
module.exports = function (RED) {
	const LIMIT = 64 * 1024;
	function Route(config) {
		RED.nodes.createNode(this, config);
		const node = this;
		const url = config.url[0] === '/' ? config.url : '/' + config.url;
		// Own raw-body JSON parsing with a size limit (no body-parser on RED.httpNode by default).
		let received = 0;
		const handler = function (req, res) {
			const reply = (body, parsedBy) => {
				received++;
				node.status({ fill: 'blue', shape: 'dot', text: 'received ' + received });
				res.status(200).json({ ok: true, parsedBy, hasToken: !!(node.credentials && node.credentials.token), wait: ms('2s') });
				node.send({ payload: body });
			};
			// With httpAdminRoot and httpNodeRoot overlapping (both '/', the default), the editor API's
			// bodyParser.json/urlencoded has already consumed the stream: take its result.
			if (req._body || req.readableEnded) { reply(req.body, 'admin'); return; }
			const chunks = [];
			let size = 0;
			let tooBig = false;
			req.on('data', (c) => {
				size += c.length;
				if (size > LIMIT) { tooBig = true; req.destroy(); res.status(413).end(); return; }
				chunks.push(c);
			});
			req.on('end', () => {
				if (tooBig) return;
				let body;
				try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'); }
				catch (e) { res.status(400).json({ error: 'invalid JSON' }); return; }
				reply(body, 'self');
			});
		};
		RED.httpNode.post(url, handler);
		node.status({ fill: 'green', shape: 'dot', text: 'listening ' + url });
		node.log('route up ' + url);
		node.on('input', function (msg, send, done) {
			if (msg.payload && msg.payload.fail) { done(new Error('boom from input')); return; }
			send(msg);
			done();
		});
		node.on('close', function (removed, done) {
			// Remove exactly this node's route: match the handler, not just path+method.
			const stack = RED.httpNode._router.stack;
			for (let i = stack.length - 1; i >= 0; i--) {
				const layer = stack[i];
				if (layer.route && layer.route.stack.some((l) => l.handle === handler)) stack.splice(i, 1);
			}
			node.log('closing ' + url + ' removed=' + removed);
			// Asynchronous close work before done(): a timer, then an HTTP "stop" request if configured.
			setTimeout(() => {
				if (!config.stopUrl) { node.log('close done ' + url); done(); return; }
				const body = JSON.stringify({ url, removed });
				const req = http.request(config.stopUrl, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
					res.resume();
					res.on('end', () => { node.log('close done ' + url + ' stop=' + res.statusCode); done(); });
				});
				req.on('error', (err) => { node.warn('stop request failed: ' + err.message); done(); });
				req.end(body);
			}, 300);
		});
	}
	RED.nodes.registerType('${TYPE}', Route, { credentials: { token: { type: 'password' } } });
};
`,
	'nodes/route.html': `<script type="text/javascript">
RED.nodes.registerType('${TYPE}', {
	category: 'network',
	color: '#a6bbcf',
	defaults: { name: { value: '' }, url: { value: '/mlv-in', required: true } },
	credentials: { token: { type: 'password' } },
	inputs: 1,
	outputs: 1,
	icon: 'white-globe.svg',
	label: function () { return this.name || this._('${TYPE}.label'); },
});
</script>
<script type="text/html" data-template-name="${TYPE}">
	<div class="form-row"><label for="node-input-url">URL</label><input type="text" id="node-input-url"></div>
	<div class="form-row"><label for="node-input-token">Token</label><input type="password" id="node-input-token"></div>
	<div class="form-row"><label for="node-input-name">Name</label><input type="text" id="node-input-name"></div>
</script>
<script type="text/html" data-help-name="${TYPE}">
	<p>Accepts JSON POSTs on its URL and sends the body as <code>msg.payload</code>.</p>
</script>
`,
	'nodes/locales/en-US/route.json': JSON.stringify({ [TYPE]: { label: 'mlv route' } }, null, 2),
};

let passed = 0;
let failed = 0;
/** @param {string} name @param {() => Promise<void>|void} fn */
async function check(name, fn) {
	const t = Date.now();
	try {
		await fn();
		passed++;
		console.log(`  ok   ${name} (${Date.now() - t} ms)`);
	} catch (err) {
		failed++;
		console.log(`  FAIL ${name}\n${String(err && /** @type {Error} */ (err).stack || err).replace(/^/gm, '       ')}`);
	}
}

/** Every live process whose environment marks it as started by this process' harness. */
function straysOf(/** @type {number} */ parentPid) {
	const found = [];
	for (const p of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
		try {
			const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8');
			if (env.split('\0').includes(`MLV_HOST_PARENT_PID=${parentPid}`)) found.push(Number(p));
		} catch {
			/* gone or not ours */
		}
	}
	return found;
}

/** @param {number} pid */
function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function packFixture() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-nr-pkg-'));
	for (const [rel, text] of Object.entries(FILES)) {
		fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
		fs.writeFileSync(path.join(dir, rel), text);
	}
	const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts'], { cwd: dir, env: cleanEnv() });
	const [{ filename }] = JSON.parse(stdout);
	return { dir, tarball: path.join(dir, filename) };
}

/**
 * @param {{z: string, url: string, sinkUrl: string, token?: string, routeId?: string}} o
 */
function flowsFor(o) {
	const z = o.z;
	const routeId = o.routeId || 'route1';
	return [
		{ id: z, type: 'tab', label: 'selftest', disabled: false, info: '' },
		{
			id: routeId,
			type: TYPE,
			z,
			name: '',
			url: o.url,
			stopUrl: `${o.sinkUrl}/stop`,
			x: 150,
			y: 100,
			wires: [['toSinkData']],
			...(o.token ? { credentials: { token: o.token } } : {}),
		},
		sinkRequestNode({ id: 'toSinkData', z, url: `${o.sinkUrl}/data` }),
		// done(err) from the node's input handler → Catch node → sink
		{ id: 'inj', type: 'inject', z, name: '', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: '{"fail":true}', payloadType: 'json', x: 100, y: 200, wires: [[routeId]] },
		{ id: 'catch1', type: 'catch', z, name: '', scope: [routeId], uncaught: false, x: 100, y: 300, wires: [['fnCatch']] },
		{ id: 'fnCatch', type: 'function', z, name: '', func: 'msg.payload = { error: msg.error.message, source: msg.error.source.type, original: msg.payload }; return msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 250, y: 300, wires: [['toSinkCatch']] },
		sinkRequestNode({ id: 'toSinkCatch', z, url: `${o.sinkUrl}/catch` }),
		// node.status() → Status node → sink
		// scoped: an unscoped Status node also sees the http request node's own status → feedback loop
		{ id: 'status1', type: 'status', z, name: '', scope: [routeId], x: 100, y: 400, wires: [['fnStatus']] },
		{ id: 'fnStatus', type: 'function', z, name: '', func: 'msg.payload = msg.status; return msg;', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 250, y: 400, wires: [['toSinkStatus']] },
		sinkRequestNode({ id: 'toSinkStatus', z, url: `${o.sinkUrl}/status` }),
	];
}

/**
 * @param {{version: string, httpNodeRoot: string, httpAdminRoot: string, installMode: 'npm'|'palette', tarball: string, withRestart: boolean}} c
 */
async function scenario(c) {
	const label = `Node-RED ${c.version} (httpNodeRoot ${c.httpNodeRoot}, httpAdminRoot ${c.httpAdminRoot}, ${c.installMode})`;
	console.log(`\n# ${label}`);
	const sink = await startSink();
	/** @type {import('./node-red-host').NodeRedHost|undefined} */
	let red;
	const timings = {};
	try {
		red = await startNodeRed({ version: c.version, tarballs: [c.tarball], httpNodeRoot: c.httpNodeRoot, httpAdminRoot: c.httpAdminRoot, installMode: c.installMode });
		const r = red;
		Object.assign(timings, { version: r.version, node: r.nodeVersion, ...r.timings });
		console.log(`  started Node-RED ${r.version} on Node ${r.nodeVersion}: install ${r.timings.install} ms, boot ${r.timings.boot} ms, total ${r.timings.total} ms`);

		await check('GET /nodes lists the packaged node type', async () => {
			const sets = await r.nodeTypes();
			assert.ok(sets.some((s) => s.module === 'node-red-contrib-mlv-host-selftest' && s.types.includes(TYPE)), JSON.stringify(sets.map((s) => s.id)));
		});
		await check('the tarball was installed into userDir like the palette manager does', () => {
			const pkg = JSON.parse(fs.readFileSync(path.join(r.userDir, 'package.json'), 'utf8'));
			assert.match(pkg.dependencies['node-red-contrib-mlv-host-selftest'], /^file:nodes\/node-red-contrib-mlv-host-selftest-0\.1\.0\.tgz$/);
			assert.ok(fs.existsSync(path.join(r.userDir, 'node_modules', 'ms', 'package.json')), 'dependency ms installed');
		});

		const z = 'tab1';
		await r.deploy(flowsFor({ z, url: '/mlv-in', sinkUrl: sink.url, token: 's3cret-token' }));
		await check('deploy → POST to the node route → sink receives the body', async () => {
			const res = await request('POST', `${r.httpNodeUrl}/mlv-in`, { body: { hello: 'world', n: 1 } });
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.hasToken, true, 'credential reached the node');
			// httpAdminRoot '/' is mounted first and matches every path: the editor API's body parsers
			// consume JSON/urlencoded bodies before any httpNode route, whatever httpNodeRoot is.
			assert.equal(res.json.parsedBy, c.httpAdminRoot === '/' ? 'admin' : 'self');
			const [got] = await sink.waitFor(1, { filter: (x) => x.url === '/data' });
			assert.deepEqual(got.body, { hello: 'world', n: 1 });
		});
		await check('the route honours httpNodeRoot', async () => {
			if (c.httpNodeRoot === '/') return;
			const res = await request('POST', `${r.baseUrl}/mlv-in`, { body: {} });
			assert.equal(res.status, 404);
		});
		await check('own body limit → 413 (only where the node parses the body itself)', async () => {
			if (c.httpAdminRoot === '/') return;
			const res = await request('POST', `${r.httpNodeUrl}/mlv-in`, { body: { big: 'x'.repeat(70 * 1024) } }).catch((e) => ({ status: 413, text: String(e) }));
			assert.equal(res.status, 413, res.text);
		});
		await check('node.status() reaches a Status node (not the one set in the constructor)', async () => {
			// Flow builds its Status/Catch node lists after constructing every node: a status set in a
			// constructor reaches the editor (comms) but no Status node.
			const [s] = await sink.waitFor(1, { filter: (x) => x.url === '/status' });
			assert.equal(s.body.text, 'received 1');
			assert.equal(s.body.source.type, TYPE);
		});
		await check('injectNode + done(err) reaches a Catch node', async () => {
			await r.injectNode('inj');
			const [e] = await sink.waitFor(1, { filter: (x) => x.url === '/catch' });
			assert.equal(e.body.error, 'Error: boom from input'); // msg.error.message is err.toString()
			assert.equal(e.body.source, TYPE);
		});
		await check('GET /flows never returns credential values', async () => {
			const { flows, rev } = await r.getFlows();
			assert.ok(rev);
			const route = flows.find((n) => n.id === 'route1');
			assert.equal(route.credentials, undefined);
			assert.ok(!JSON.stringify(flows).includes('s3cret-token'));
			const cred = fs.readFileSync(path.join(r.userDir, 'flows_cred.json'), 'utf8');
			assert.ok(!cred.includes('s3cret-token'), 'flows_cred.json is encrypted');
			const one = await r.admin('GET', '/credentials/' + TYPE + '/route1');
			assert.deepEqual(one.json, { has_token: true });
		});

		let from = r.logOffset();
		await check("modified-nodes deploy closes only the changed node (removed=false), its old route is gone", async () => {
			const { flows } = await r.getFlows();
			const next = flows.map((n) => (n.id === 'route1' ? { ...n, url: '/mlv-in2' } : n));
			await r.deploy(next, { type: 'nodes' });
			await r.waitForLog(/closing \/mlv-in removed=false/, { from });
			await r.waitForLog(/close done \/mlv-in\b/, { from });
			assert.doesNotMatch(r.logs().slice(from), /closing \/mlv-in2/);
			assert.equal((await request('POST', `${r.httpNodeUrl}/mlv-in`, { body: {} })).status, 404);
			const res = await request('POST', `${r.httpNodeUrl}/mlv-in2`, { body: { second: true } });
			assert.equal(res.status, 200);
			assert.equal(res.json.hasToken, true, 'credentials kept across a modified-nodes deploy');
			await sink.waitFor(1, { filter: (x) => x.url === '/data' && x.body && x.body.second === true });
		});

		await check('two nodes on the same path: closing one leaves the other route working', async () => {
			from = r.logOffset();
			const base = flowsFor({ z, url: '/same', sinkUrl: sink.url });
			const twin = { ...base.find((n) => n.id === 'route1'), id: 'route2', y: 500 };
			await r.deploy([...base, twin], { type: 'full' });
			const mid = r.logOffset();
			await r.deploy(base, { type: 'nodes' }); // removes only route2; route1 keeps running
			await r.waitForLog(/closing \/same removed=true/, { from: mid });
			await r.waitForLog(/close done \/same/, { from: mid });
			assert.equal((r.logs().slice(mid).match(/closing \/same/g) || []).length, 1, 'only route2 closed');
			const res = await request('POST', `${r.httpNodeUrl}/same`, { body: { twin: 1 } });
			assert.equal(res.status, 200, 'route1 still answers on the shared path');
		});

		from = r.logOffset();
		await check('full deploy of [] closes the node with removed=true and unregisters the route', async () => {
			await r.deploy([], { type: 'full' });
			await r.waitForLog(/closing \/same removed=true/, { from });
			await r.waitForLog(/close done \/same/, { from });
			assert.equal((await request('POST', `${r.httpNodeUrl}/same`, { body: {} })).status, 404);
		});

		await r.deploy(flowsFor({ z, url: '/mlv-in', sinkUrl: sink.url, token: 'again' }));
		if (c.withRestart) {
			await check('restart keeps flows and credentials', async () => {
				const before = r.pid();
				await r.restart();
				assert.notEqual(r.pid(), before);
				assert.ok(before && !alive(before), 'old process gone');
				sink.reset();
				const res = await request('POST', `${r.httpNodeUrl}/mlv-in`, { body: { afterRestart: true } });
				assert.equal(res.status, 200);
				assert.equal(res.json.hasToken, true);
				await sink.waitFor(1, { filter: (x) => x.url === '/data' });
				console.log(`  restart: boot ${r.timings.boot} ms`);
			});
		}

		from = r.logOffset();
		const pid = r.pid();
		const stopAt = Date.now();
		const stopped = await r.stop();
		red = undefined;
		console.log(`  stop: ${stopped.ms} ms (code ${stopped.code}, signal ${stopped.signal}, killed ${stopped.killed})`);
		await check('SIGINT stop runs close handlers, incl. async work, before exit', () => {
			const tail = r.logs().slice(from);
			assert.match(tail, /closing \/mlv-in removed=false/);
			assert.match(tail, /close done \/mlv-in stop=200/);
			assert.match(tail, /Stopped flows/);
			const stops = sink.received.filter((x) => x.url === '/stop' && x.at >= stopAt);
			assert.deepEqual(stops.map((x) => x.body), [{ url: '/mlv-in', removed: false }], 'the HTTP stop request sent from close() arrived before exit');
			assert.equal(stopped.killed, false);
		});
		await check('no process left, userDir removed', () => {
			assert.ok(pid && !alive(pid));
			assert.deepEqual(straysOf(process.pid), []);
			assert.equal(fs.existsSync(r.userDir), false);
		});
	} catch (err) {
		failed++;
		console.log(`  FAIL ${label}: ${/** @type {Error} */ (err).stack}`);
		if (red) console.log(red.logs().slice(-5000));
	} finally {
		if (red) await red.stop();
		await sink.close();
	}
	return timings;
}

async function main() {
	const versions = (process.env.MLV_SELFTEST_VERSIONS || '4.1,5').split(',');
	const t0 = Date.now();
	const { dir, tarball } = await packFixture();
	console.log(`packed ${path.basename(tarball)} in ${Date.now() - t0} ms`);
	const results = [];
	try {
		for (const v of versions) {
			const five = v.startsWith('5');
			results.push(await scenario({ version: v, httpNodeRoot: five ? '/api' : '/', httpAdminRoot: five ? '/admin' : '/', installMode: 'npm', tarball, withRestart: true }));
		}
		// The palette manager's own path: upload through POST /nodes after start.
		if (!process.env.MLV_SELFTEST_NO_PALETTE) {
			results.push(await scenario({ version: versions[0], httpNodeRoot: '/', httpAdminRoot: '/red', installMode: 'palette', tarball, withRestart: false }));
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	console.log('\ntimings (ms):');
	for (const t of results) console.log(`  ${JSON.stringify(t)}`);
	await check('no process left at the end', () => assert.deepEqual(straysOf(process.pid), []));
	console.log(`\n${passed} passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
}

module.exports = { packFixture, FILES, TYPE };

if (require.main === module) {
	main().catch((err) => {
		console.error(err);
		process.exitCode = 1;
	});
}
