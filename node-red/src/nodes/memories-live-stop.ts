// Stop node: stops msg.task_id (or msg.payload.task_id), idempotently, or every stream that
// start nodes using the same account have running.
import { InputError, StopOutcome } from '../core';
import { shortReason, toError } from '../lib/errors';
import type { ConfigNode, Node, NodeAPI, NodeDef, NodeMessage } from '../lib/red';
import { tasks } from '../lib/tasks';

interface StopResult {
	task_id: string;
	outcome: StopOutcome['outcome'] | 'failed';
	stopped: boolean;
	/** Why the stop failed (outcome `failed`, "every stream" only). */
	error?: string;
}

function taskIdOf(msg: NodeMessage, fallback: unknown): unknown {
	if (msg.task_id !== undefined) return msg.task_id;
	const payload = msg.payload;
	if (payload && typeof payload === 'object' && 'task_id' in payload) return (payload as { task_id: unknown }).task_id;
	if (typeof payload === 'string' && payload.trim() !== '') return payload;
	return fallback;
}

export = function register(RED: NodeAPI): void {
	function MemoriesLiveStop(this: Node, def: NodeDef): void {
		RED.nodes.createNode(this, def);
		const node = this;
		const config = RED.nodes.getNode(def.config as string) as ConfigNode | null;
		const stopAll = def.target === 'all';
		const strict = def.failIfNotFound === true;

		const stopOne = async (taskId: unknown): Promise<StopResult> => {
			const outcome = await config!.client().stop(taskId);
			tasks.remove(outcome.taskId, 'stopped');
			return { task_id: outcome.taskId, outcome: outcome.outcome, stopped: outcome.outcome === 'stopped' };
		};

		node.on('input', (msg, send, done) => {
			void (async () => {
				try {
					if (!config) throw new InputError('Account', RED._('memories-live-stop.errors.no-config'));
					let results: StopResult[];
					if (stopAll) {
						// Every stop is tried, whatever the others do; the message lists each outcome, failed
						// ones included, and goes to Catch nodes (with the first failure) if any failed.
						const running = tasks.list((task) => task.configId === config.id);
						const settled = await Promise.allSettled(running.map((task) => stopOne(task.taskId)));
						const secrets = config.secrets();
						results = settled.map((r, i) =>
							r.status === 'fulfilled' ? r.value : { task_id: running[i].taskId, outcome: 'failed', stopped: false, error: toError(r.reason, secrets).message },
						);
						msg.payload = results;
						const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
						if (failed) throw failed.reason;
					} else {
						results = [await stopOne(taskIdOf(msg, def.taskId))];
						msg.payload = results[0];
						msg.task_id = results[0].task_id;
					}
					const missing = results.filter((r) => !r.stopped).map((r) => r.task_id);
					if (strict && missing.length > 0) {
						throw new InputError('Task ID', RED._('memories-live-stop.errors.not-found', { taskIds: missing.join(', ') }));
					}
					node.status({
						fill: 'green',
						shape: 'dot',
						text: RED._('memories-live-stop.status.done', {
							stopped: results.length - missing.length,
							missing: missing.length,
						}),
					});
					send(msg);
					done();
				} catch (error) {
					node.status({ fill: 'red', shape: 'ring', text: shortReason(error) });
					done(toError(error, config?.secrets() ?? []));
				}
			})();
		});
	}

	RED.nodes.registerType('memories-live-stop', MemoriesLiveStop);
};
