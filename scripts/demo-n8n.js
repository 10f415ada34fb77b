'use strict';
// `npm run demo:n8n`: the sandbox (or the real memories.ai), a real n8n with our packed package installed as a
// community package, the example workflow "alert once when the pan boils over" imported with a credential for the
// service and activated (which starts the stream on the sandbox's scripted kitchen), the editor's URL and login
// printed, then one line per item the trigger emits: episode starts and ends, and the stream's summary when it ends. Ctrl-C (or SIGINT/SIGTERM to npm alone) deactivates the workflow (which stops the stream), stops n8n and
// the sandbox.
//
// Against the real service: MEMORIES_API_KEY=sk-… RTMP_URL=rtmp://… PUBLIC_URL=https://… npm run demo:n8n
// (PUBLIC_URL must reach this machine's n8n port, N8N_PORT, default 5678.)
const fs = require('node:fs');
const path = require('node:path');

const host = require('./lib/n8n-host');
const { ROOT, runDemo, hostPort, scaled, time } = require('./lib/demo-kit');

const EXAMPLE = path.join(ROOT, 'examples/n8n/alert-once-pan-boils-over.json');
const LOGIN = { email: 'demo@example.com', password: 'Demo-passw0rd' };

/**
 * The Alert-once example as a user adapts it: their camera, the cooldown scaled to the frame interval (the same
 * number of windows as at 5 s), and each item as the trigger emits it posted to the demo console (in place of the
 * example's message for a chat channel).
 */
function demoWorkflow(settings, consoleUrl) {
	const workflow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
	const trigger = workflow.nodes.find((n) => n.type.endsWith('.memoriesLiveVideoTrigger'));
	trigger.parameters.rtmpUrl = settings.rtmpUrl;
	trigger.parameters.cooldownSeconds = scaled(trigger.parameters.cooldownSeconds, settings.timeScale);
	const post = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.httpRequest');
	post.parameters.url = `${consoleUrl}/result`;
	post.parameters.jsonBody = '={{ JSON.stringify($json) }}';
	return { workflow, trigger, credential: trigger.credentials.memoriesLiveVideoApi };
}

runDemo({
	title: 'memories.ai Live Video: n8n demo',
	async main(demo) {
		const port = await hostPort({ envName: 'N8N_PORT', preferred: 5678, real: demo.service.real });
		const tarball = demo.pack(ROOT);
		const settings = await demo.settings();
		const consoleUrl = await demo.console();
		if (!host.isInstalled()) {
			demo.say(`  first run: installing n8n ${host.DEFAULT_VERSION} and Node 24 into the cache (${host.cacheRoot()}):`);
			demo.say('  ≈3-5 minutes and 2.9 GB from the npm registry; later runs start in seconds');
		}
		demo.say('  starting n8n with n8n-nodes-memories-live-video installed as a community package…');
		const env = settings.publicUrl ? { N8N_WEBHOOK_URL: `${settings.publicUrl}/` } : {};
		const n8n = await host.startN8n({ packageDirs: [tarball], port, env });
		demo.onStop(async () => {
			demo.say('stopping n8n…');
			await n8n.stop();
		});

		const { workflow, trigger, credential } = demoWorkflow(settings, consoleUrl);
		const credentialFile = path.join(demo.work, 'credential.json');
		fs.writeFileSync(credentialFile, JSON.stringify([{ ...credential, type: 'memoriesLiveVideoApi', data: { apiKey: settings.apiKey, baseUrl: settings.baseUrl } }]), { mode: 0o600 });
		const imported = await n8n.cli(['import:credentials', `--input=${credentialFile}`]);
		fs.rmSync(credentialFile); // the key in plain text: n8n has it encrypted now
		if (imported.code !== 0) throw new Error(`importing the credential failed: ${imported.stdout}${imported.stderr}`);
		const workflowFile = path.join(demo.work, 'workflow.json');
		fs.writeFileSync(workflowFile, JSON.stringify(workflow));
		const importedWorkflow = await n8n.cli(['import:workflow', `--input=${workflowFile}`]);
		if (importedWorkflow.code !== 0) throw new Error(`importing the workflow failed: ${importedWorkflow.stdout}${importedWorkflow.stderr}`);
		const api = await n8n.createOwnerAndApiKey(LOGIN);

		if (settings.sandbox) {
			// n8n's trigger outputs no item for the start (activation starts it): the sandbox tells of it.
			settings.sandbox.engine.on('task-started', (task) => {
				if (!demo.stopping) demo.say(`${time()}  stream ${task.taskId.slice(0, 8)}… started: ${task.rtmpUrl}`);
			});
		}
		await api.activateWorkflow(workflow.id);
		demo.onStop(async () => {
			demo.say('deactivating the workflow (its trigger stops the stream)…');
			await api.deactivateWorkflow(workflow.id);
		});
		demo.say(`  n8n ${host.DEFAULT_VERSION} editor: ${n8n.baseUrl}/workflow/${workflow.id}  (workflow "${workflow.name}")`);
		demo.say(`  log in as ${LOGIN.email} / ${LOGIN.password}`);
		demo.say(`  the workflow is active: "${trigger.name}" started a stream; one line per episode (the pan boils over,`);
		demo.say('  then calms down), not one per window; the summary when the stream ends. Ctrl-C stops everything.');
		demo.say();
		if (settings.sandbox) {
			// Deactivating (or unpublishing) the workflow in the editor stops its stream: say so instead of going quiet.
			settings.sandbox.engine.on('task-ended', (task) => {
				if (demo.stopping) return;
				demo.say(`${time()}  stream ${task.taskId.slice(0, 8)}… ended (${task.endReason}).${task.endReason === 'stopped' ? ' The workflow was deactivated in the editor:' : ''}`);
				demo.say(
					task.endReason === 'stopped'
						? '          activate the workflow again (the Active toggle in the editor) to start a new stream.'
						: '          the workflow is still active: deactivate and activate it again (the Active toggle in the editor) to start a new stream.',
				);
			});
		}
	},
});
