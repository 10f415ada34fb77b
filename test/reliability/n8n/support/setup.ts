// The sandboxes, sink, credentials and workflows of the n8n reliability suite, and the real n8n
// they run in. One sandbox per concern, so that faults injected for one scenario (they are
// consumed by whichever call comes next) can never hit another running at the same time.
import { Sandbox, startSandbox } from '../../../../sandbox/src';
import { Sink, startSink } from '../../../../scripts/lib/sink';
import { Credential, Host, startHost } from './host';
import { Workflow, startStopWorkflow, triggerWorkflow, watchParameters } from './workflows';

export const HOUR = 3_600_000;

/** Each sandbox: its key, how often it calls back, and the credential pointing at it. */
export const SANDBOXES = {
	/** Fuzz (Watch), load, orphans: no callbacks of its own during the run. */
	quiet: { key: 'sk-mai-rel-n8n-quiet-6f1d2c9a', intervalMs: HOUR },
	/** The action node's start/stop faults. */
	action: { key: 'sk-mai-rel-n8n-action-0b7e44f1', intervalMs: HOUR },
	/** A start answered after the client's 30 s timeout (runs beside the others). */
	slowStart: { key: 'sk-mai-rel-n8n-slowstart-91aa', intervalMs: HOUR },
	/** A stop answered after the client's 30 s timeout. */
	slowStop: { key: 'sk-mai-rel-n8n-slowstop-5c2e', intervalMs: HOUR },
	/** Watch activation under start faults; callbacks flow, so a hidden task announces itself. */
	trigger: { key: 'sk-mai-rel-n8n-trigger-3d8f0e72', intervalMs: 250 },
	/** Watch activation whose first start is answered too late. */
	triggerSlow: { key: 'sk-mai-rel-n8n-trigslow-7a61', intervalMs: 250 },
} as const;
export type SandboxName = keyof typeof SANDBOXES;

export const TOKENS = {
	fuzzReceive: 'rel-n8n-fuzz-receive-Token-4b9d2e71f0a8c6',
	loadReceive: 'rel-n8n-load-receive-Token-a2f81c0d9e3b57',
	action: 'rel-n8n-action-callback-Token-7c1e9f20b4d8a3',
	badFilter: 'rel-n8n-bad-filter-Token-0d4a7e9c1b26f8',
};

/** Webhook ids (the path of each trigger's URL). */
export const HOOKS = {
	fuzzReceive: 'b7a0c1de-0001-4a5b-9c8d-7e6f5a4b3c21',
	fuzzWatch: 'b7a0c1de-0002-4a5b-9c8d-7e6f5a4b3c21',
	loadReceive: 'b7a0c1de-0003-4a5b-9c8d-7e6f5a4b3c21',
	orphanWatch: 'b7a0c1de-0004-4a5b-9c8d-7e6f5a4b3c21',
	triggerFaults: 'b7a0c1de-0005-4a5b-9c8d-7e6f5a4b3c21',
	triggerSlow: 'b7a0c1de-0006-4a5b-9c8d-7e6f5a4b3c21',
	badFilter: 'b7a0c1de-0007-4a5b-9c8d-7e6f5a4b3c21',
};

export const WF = {
	fuzzReceive: 'relFuzzReceive01',
	fuzzWatch: 'relFuzzWatch0001',
	loadReceive: 'relLoadReceive01',
	orphanWatch: 'relOrphanWatch01',
	action: 'relActionFaults1',
	slowStart: 'relActionSlowSt1',
	slowStop: 'relActionSlowSp1',
	triggerFaults: 'relTriggerFault1',
	triggerSlow: 'relTriggerSlow01',
	badFilter: 'relBadFilter0001',
};

/** Emit nothing: a Watch trigger whose stream calls back every 250 ms must not flood n8n. */
const NOTHING = { emit: 'regex', regex: '^this never matches$' };

export interface Suite {
	host: Host;
	sink: Sink;
	sandboxes: Record<SandboxName, Sandbox>;
	credentialOf: Record<SandboxName, string>;
	close(): Promise<void>;
}

export async function startSuite(env: Record<string, string> = {}): Promise<Suite> {
	const sink = await startSink();
	const sandboxes = {} as Record<SandboxName, Sandbox>;
	const credentials: Credential[] = [];
	const credentialOf = {} as Record<SandboxName, string>;
	for (const [name, { key, intervalMs }] of Object.entries(SANDBOXES) as Array<[SandboxName, (typeof SANDBOXES)[SandboxName]]>) {
		sandboxes[name] = await startSandbox({ intervalMs, keys: [key] });
		credentialOf[name] = `relCred${name.padEnd(9, '0').slice(0, 9)}`;
		credentials.push({ id: credentialOf[name], name: `memories ${name}`, apiKey: key, baseUrl: sandboxes[name].url });
	}
	const camera = (name: string) => `rtmp://camera.example.com:1935/live/${name}`;
	const workflows: Workflow[] = [
		triggerWorkflow({
			id: WF.fuzzReceive,
			webhookId: HOOKS.fuzzReceive,
			parameters: { mode: 'receive', callbackToken: TOKENS.fuzzReceive },
			sinkUrl: `${sink.url}/fuzz-receive`,
		}),
		triggerWorkflow({
			id: WF.fuzzWatch,
			webhookId: HOOKS.fuzzWatch,
			parameters: watchParameters(camera('fuzz')),
			credentialId: credentialOf.quiet,
			sinkUrl: `${sink.url}/fuzz-watch`,
			// Workflows made before version 1.1 keep version 1, where n8n reads every body itself.
			typeVersion: 1,
		}),
		triggerWorkflow({
			id: WF.loadReceive,
			webhookId: HOOKS.loadReceive,
			parameters: { mode: 'receive', callbackToken: TOKENS.loadReceive },
			sinkUrl: `${sink.url}/load`,
		}),
		triggerWorkflow({
			id: WF.orphanWatch,
			webhookId: HOOKS.orphanWatch,
			parameters: watchParameters(camera('orphans')),
			credentialId: credentialOf.quiet,
			sinkUrl: `${sink.url}/orphans`,
		}),
		triggerWorkflow({
			id: WF.triggerFaults,
			webhookId: HOOKS.triggerFaults,
			parameters: { ...watchParameters(camera('trigger-faults')), ...NOTHING },
			credentialId: credentialOf.trigger,
			sinkUrl: `${sink.url}/trigger-faults`,
		}),
		triggerWorkflow({
			id: WF.triggerSlow,
			webhookId: HOOKS.triggerSlow,
			parameters: { ...watchParameters(camera('trigger-slow')), ...NOTHING },
			credentialId: credentialOf.triggerSlow,
			sinkUrl: `${sink.url}/trigger-slow`,
		}),
		triggerWorkflow({
			id: WF.badFilter,
			webhookId: HOOKS.badFilter,
			parameters: { mode: 'receive', callbackToken: TOKENS.badFilter, emit: 'regex', regex: 'boil(ing|ed over' },
			sinkUrl: `${sink.url}/bad-filter`,
		}),
		...(['action', 'slowStart', 'slowStop'] as const).map((name) =>
			startStopWorkflow({
				id: WF[name],
				credentialId: credentialOf[name],
				sinkUrl: sink.url,
				callbackUrl: `${sink.url}/memories-callbacks?token=${TOKENS.action}`,
			}),
		),
	];
	const host = await startHost({ credentials, workflows, env }).catch(async (error) => {
		await Promise.all([...Object.values(sandboxes).map((s) => s.close()), sink.close()]);
		throw error;
	});
	return {
		host,
		sink,
		sandboxes,
		credentialOf,
		async close() {
			await host.stop();
			await Promise.all(Object.values(sandboxes).map((s) => s.close()));
			await sink.close();
		},
	};
}
