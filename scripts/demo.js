'use strict';
// `npm run demo`: the sandbox (or the real memories.ai), a real Node-RED with our packed package
// installed, the example flow "Watch a stream and log results" deployed and started, and every
// result printed here as it arrives. Ctrl-C stops the stream, Node-RED and the sandbox.
//
// Against the real service: MEMORIES_API_KEY=sk-… RTMP_URL=rtmp://… PUBLIC_URL=https://… npm run demo
// (PUBLIC_URL must reach this machine's Node-RED port, NODE_RED_PORT, default 1880.)
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const host = require('./lib/node-red-host');
const { freePort } = require('./lib/ports');
const { startSink } = require('./lib/sink');
const { startSandbox } = require('../build/sandbox');

const ROOT = path.join(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'node-red/examples/01 - Watch a stream and log results.json');
const SANDBOX_KEY = 'sk-demo-sandbox-key';

const say = (line = '') => process.stdout.write(`${line}\n`);
const time = () => new Date().toTimeString().slice(0, 8);

function portIsFree(port) {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** The real service when all three variables are set, the sandbox when none is. */
function chooseMode() {
	const real = ['MEMORIES_API_KEY', 'RTMP_URL', 'PUBLIC_URL'];
	const set = real.filter((name) => process.env[name]);
	if (set.length === 0) return { real: false };
	if (set.length < real.length) {
		throw new Error(`To use the real memories.ai service set all of ${real.join(', ')} (missing: ${real.filter((n) => !set.includes(n)).join(', ')}).`);
	}
	return {
		real: true,
		apiKey: process.env.MEMORIES_API_KEY,
		rtmpUrl: process.env.RTMP_URL,
		publicUrl: process.env.PUBLIC_URL,
		baseUrl: process.env.MEMORIES_BASE_URL || 'https://stream.memories.ai',
	};
}

/** Example 01 with this demo's account, camera and public URL, plus a wire that reports here. */
function demoFlow(settings, sinkUrl) {
	const nodes = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	const tab = nodes.find((n) => n.z)?.z;
	const byType = (type) => nodes.filter((n) => n.type === type);
	const [config] = byType('memories-live-config');
	Object.assign(config, { baseUrl: settings.baseUrl, publicUrl: settings.publicUrl, credentials: { apiKey: settings.apiKey } });
	const [results] = byType('memories-live-results');
	results.credentials = { secret: crypto.randomBytes(32).toString('base64url') };
	const [start] = byType('memories-live-start');
	start.rtmpUrl = settings.rtmpUrl;
	const [inject] = byType('inject').filter((n) => n.wires.flat().includes(start.id));
	const [catchNode] = byType('catch');
	const report = { id: 'demo0000console', type: 'http request', z: tab, name: 'to the demo console', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: `${sinkUrl}/result`, tls: '', persist: true, proxy: '', authType: '', senderr: false, headers: [], x: 640, y: 180, wires: [[]] };
	const reportError = { ...report, id: 'demo0000errors', name: 'errors to the demo console', url: `${sinkUrl}/error`, y: 320 };
	results.wires = results.wires.map((outputs) => [...outputs, report.id]);
	catchNode.wires = [[...catchNode.wires[0], reportError.id]];
	return { flows: [{ id: tab, type: 'tab', label: 'memories.ai demo' }, ...nodes, report, reportError], injectId: inject.id };
}

async function main() {
	const mode = chooseMode();
	say('memories.ai Live Video: Node-RED demo');
	work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlv-demo-'));
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(ROOT, 'node-red'), encoding: 'utf8' }),
	)[0];

	const nodeRedPort = Number(process.env.NODE_RED_PORT) || ((await portIsFree(1880)) ? 1880 : await freePort());
	if (mode.real && !(await portIsFree(nodeRedPort))) throw new Error(`Port ${nodeRedPort} is busy; set NODE_RED_PORT to the port PUBLIC_URL forwards to.`);
	let settings;
	if (mode.real) {
		settings = mode;
		say(`  service: the real memories.ai at ${mode.baseUrl} (billed every 5 s while the stream runs)`);
	} else {
		const intervalMs = Number(process.env.DEMO_INTERVAL_MS) || 3000;
		const sandboxPort = process.env.DEMO_SANDBOX_PORT ? Number(process.env.DEMO_SANDBOX_PORT) : (await portIsFree(4010)) ? 4010 : 0;
		sandbox = await startSandbox({ port: sandboxPort, intervalMs, keys: [SANDBOX_KEY] });
		settings = { apiKey: SANDBOX_KEY, baseUrl: sandbox.url, rtmpUrl: 'rtmp://camera.example.com/live/kitchen', publicUrl: `http://127.0.0.1:${nodeRedPort}` };
		say(`  service: the local sandbox at ${sandbox.url} (a stand-in for memories.ai; a result every ${intervalMs / 1000} s)`);
	}

	sink = await startSink();
	sink.events.on('request', (request) => {
		const body = request.json;
		if (request.url === '/error') return say(`${time()}  error: ${body?.error?.message ?? request.body}`);
		if (!body || typeof body !== 'object') return;
		if (body.ended) return say(`${time()}  stream ${body.task_id.slice(0, 8)}… ended (status ${body.status}${body.reason ? `, ${body.reason}` : ''}) ${body.text}`);
		say(`${time()}  ${body.task_id.slice(0, 8)}…  ${body.text}`);
	});

	say('  starting Node-RED with node-red-contrib-memories-live-video installed from its tarball…');
	red = await host.startNodeRed({ version: process.env.DEMO_NODE_RED || '4.1', port: nodeRedPort, tarballs: [path.join(work, packed.filename)] });
	const { flows, injectId } = demoFlow(settings, sink.url);
	await red.deploy(flows);
	say(`  Node-RED ${red.version ?? ''} editor: ${red.baseUrl}/  (flow "Watch a stream and log results")`);
	await red.injectNode(injectId);
	say('  stream started; results follow. Ctrl-C stops everything.');
	say();
}

let work;
let sandbox;
let sink;
let red;
let stopping = false;

async function shutdown(reason) {
	if (stopping) return;
	stopping = true;
	say();
	say(`${reason}: stopping Node-RED (it stops its streams on shutdown)…`);
	let code = 0;
	try {
		if (red) await red.stop();
		if (sandbox) {
			const left = sandbox.activeTasks().length;
			say(`streams still running in the sandbox: ${left}`);
			if (left > 0) code = 1;
			await sandbox.close();
		}
		if (sink) await sink.close();
	} catch (error) {
		say(`while stopping: ${error.message}`);
		code = 1;
	} finally {
		if (work) fs.rmSync(work, { recursive: true, force: true });
	}
	say('stopped.');
	process.exit(code);
}

process.on('SIGINT', () => void shutdown('Ctrl-C'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
main().catch((error) => {
	process.stderr.write(`demo failed: ${error.message}\n`);
	void shutdown('error').then(() => process.exit(1));
});
