'use strict';
// `npm run demo`: the sandbox (or the real memories.ai), a real Node-RED with our packed package installed, the
// example flow "Alert once when the pan boils over" deployed and started against the sandbox's scripted kitchen,
// and what it sends printed here as it arrives: the stream's start, one line per episode start and end, and the
// stream's summary when it ends (the "stop all" button, a Deploy, the start node's Stop after).
// Ctrl-C (or SIGINT/SIGTERM to npm alone) stops the stream, Node-RED and the sandbox.
//
// Against the real service: MEMORIES_API_KEY=sk-… RTMP_URL=rtmp://… PUBLIC_URL=https://… npm run demo
// (PUBLIC_URL must reach this machine's Node-RED port, NODE_RED_PORT, default 1880.)
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const host = require('./lib/node-red-host');
const { ROOT, runDemo, hostPort, scaled, time } = require('./lib/demo-kit');

const EXAMPLE = path.join(ROOT, 'node-red/examples/04 - Alert once when the pan boils over.json');
const NODE_RED = process.env.DEMO_NODE_RED || '4.1';

/**
 * Example 04 with this demo's account, camera and public URL, its cooldown scaled to the frame interval (the same
 * number of windows as at 5 s), plus wires that report the start node's output and every output of the results
 * node (episodes, summary, parse errors and stalls) to the demo's console.
 */
function demoFlow(settings, consoleUrl) {
	const nodes = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	const tab = nodes.find((n) => n.z)?.z;
	const byType = (type) => nodes.filter((n) => n.type === type);
	const [config] = byType('memories-live-config');
	Object.assign(config, { baseUrl: settings.baseUrl, publicUrl: settings.publicUrl, credentials: { apiKey: settings.apiKey } });
	const [results] = byType('memories-live-results');
	results.credentials = { secret: crypto.randomBytes(32).toString('base64url') };
	results.cooldownSeconds = scaled(results.cooldownSeconds, settings.timeScale);
	const [start] = byType('memories-live-start');
	start.rtmpUrl = settings.rtmpUrl;
	const [inject] = byType('inject').filter((n) => n.wires.flat().includes(start.id));
	const [catchNode] = byType('catch');
	const report = { id: 'demo0000console', type: 'http request', z: tab, name: 'to the demo console', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: `${consoleUrl}/result`, tls: '', persist: true, proxy: '', authType: '', senderr: false, headers: [], x: 760, y: 200, wires: [[]] };
	const reportError = { ...report, id: 'demo0000errors', name: 'errors to the demo console', url: `${consoleUrl}/error`, y: 360 };
	results.wires = results.wires.map((outputs) => [...outputs, report.id]);
	start.wires = [[...start.wires[0], report.id]];
	const [stop] = byType('memories-live-stop');
	stop.wires = [[...stop.wires[0], report.id]];
	catchNode.wires = [[...catchNode.wires[0], reportError.id]];
	return { flows: [{ id: tab, type: 'tab', label: 'memories.ai demo' }, ...nodes, report, reportError], inject };
}

runDemo({
	title: 'memories.ai Live Video: Node-RED demo',
	async main(demo) {
		const port = await hostPort({ envName: 'NODE_RED_PORT', preferred: 1880, real: demo.service.real });
		const tarball = demo.pack(path.join(ROOT, 'node-red'));
		const service = await demo.settings();
		const settings = { ...service, publicUrl: service.publicUrl ?? `http://127.0.0.1:${port}` };
		const consoleUrl = await demo.console();
		if (!host.isInstalled(NODE_RED)) demo.say(`  first run: installing Node-RED ${NODE_RED} into the cache (${host.cacheRoot()}, ≈120 MB, under a minute); later runs start in seconds`);
		demo.say('  starting Node-RED with @memories-live-video/node-red installed from its tarball…');
		const red = await host.startNodeRed({ version: NODE_RED, port, tarballs: [tarball] });
		demo.onStop(async () => {
			demo.say('stopping Node-RED (it stops its streams on shutdown)…');
			await red.stop();
		});
		const { flows, inject } = demoFlow(settings, consoleUrl);
		await red.deploy(flows);
		demo.say(`  Node-RED ${red.version} editor: ${red.baseUrl}/  (flow "Alert once when the pan boils over")`);
		await red.injectNode(inject.id);
		demo.say('  stream started: one line per episode (the pan boils over, then calms down), not one per window;');
		demo.say('  "stop all" in the editor stops the stream and prints its summary. Ctrl-C stops everything.');
		demo.say();
		watchRedeploys(demo, red, service.sandbox, inject);
	},
});

/**
 * A Deploy in the editor restarts the flow and the start node stops its stream ("Stop the stream when the node is
 * redeployed"): say so, and how to start the next one, instead of going quiet.
 */
function watchRedeploys(demo, red, sandbox, inject) {
	let from = red.logOffset();
	const next = () =>
		red
			.waitForLog(/\[info\] (Stopping flows|Stopping modified (nodes|flows))/, { from, timeoutMs: 2 ** 31 - 1 })
			.then(() => red.waitForLog(/\[info\] Started (flows|modified nodes|modified flows)/, { from, timeoutMs: 60_000 }))
			.then(() => {
				from = red.logOffset();
				if (demo.stopping) return;
				const running = sandbox ? sandbox.activeTasks().length : undefined;
				if (running === 0 || running === undefined) {
					demo.say(`${time()}  Deploy restarted the flow${running === 0 ? ' and its start node stopped the stream' : ': a redeployed start node stops its stream'} (its "stop when redeployed" setting).\n` +
							`          Press the button of the inject node "${inject.name}" in the editor to start a new stream.`);
				} else {
					demo.say(`${time()}  Deploy: the flow was redeployed, the stream goes on.`);
				}
				next();
			})
			.catch(() => {
				/* Node-RED stopped: the demo is ending */
			});
	next();
}
