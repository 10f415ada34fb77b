// Receives memories.ai callbacks on RED.httpNode, authenticated by the secret in this node's
// callback URL; the core's result gate decides what goes out: results on output 1, stream ends
// on output 2.
import {
	CallbackCheck,
	GateDecision,
	ResultGate,
	buildCallbackUrl,
	createMemoryGateStore,
	createResultGate,
	generateSecret,
	isStrongSecret,
	normaliseReceiverPath,
} from '../../../core';
import { toError } from '../lib/errors';
import type { NodeAPI, NodeMessage, ResultsNode } from '../lib/red';
import { addCallbackRoute } from '../lib/routes';
import { Removal, TrackedTask, tasks } from '../lib/tasks';
import type { ResultsProperties } from './properties';
import { ResultsStatus } from './results-status';

export class ResultsController {
	private readonly status: ResultsStatus;
	private readonly removeRoute: () => void;

	/** A controller for the node, or undefined when its settings keep it from receiving (shown on the node). */
	static open(RED: NodeAPI, node: ResultsNode, props: ResultsProperties): ResultsController | undefined {
		const failed = (error: unknown, statusKey: string) => {
			node.error(toError(error));
			node.status({ fill: 'red', shape: 'ring', text: RED._(`memories-live-results.status.${statusKey}`) });
			return undefined;
		};
		let path: string;
		try {
			path = normaliseReceiverPath(props.path);
		} catch (error) {
			return failed(error, 'bad-path');
		}
		let secret = node.credentials?.secret;
		if (!isStrongSecret(secret)) {
			secret = generateSecret();
			node.warn(RED._('memories-live-results.warn.temporary-secret'));
		}
		let gate: ResultGate;
		try {
			const filter = { mode: props.emit || 'all', keywords: props.keywords, pattern: props.regex, caseSensitive: props.caseSensitive === true };
			gate = createResultGate({ filter, ignoreDuplicates: props.ignoreDuplicates !== false }, createMemoryGateStore());
		} catch (error) {
			return failed(error, 'bad-filter');
		}
		try {
			return new ResultsController(RED, node, path, secret, gate);
		} catch (error) {
			return failed(error, 'no-http');
		}
	}

	private constructor(
		private readonly RED: NodeAPI,
		private readonly node: ResultsNode,
		private readonly path: string,
		private readonly secret: string,
		private readonly gate: ResultGate,
	) {
		this.removeRoute = addCallbackRoute(RED, path, {
			secret,
			receive: (check) => this.receive(check),
			unauthorised: () => this.status.countRejected(),
		});
		tasks.on('removed', this.onTaskRemoved);
		this.status = new ResultsStatus(RED, node);
	}

	/** The callback URL that delivers here, under the account's Public URL. */
	callbackUrl(publicUrl: string): string {
		const root = typeof this.RED.settings.httpNodeRoot === 'string' ? this.RED.settings.httpNodeRoot : '/';
		return buildCallbackUrl(publicUrl, [root, this.path], this.secret);
	}

	close(): void {
		tasks.off('removed', this.onTaskRemoved);
		this.removeRoute();
		this.status.close();
	}

	private receive(check: CallbackCheck): void {
		if (!check.ok) {
			this.status.countRejected();
			this.node.debug(`refused a callback: ${check.httpStatus} ${check.reason}`);
			return;
		}
		const { event } = check;
		const decision = this.gate.receive(event, Date.now());
		if (decision.kind === 'none' && decision.reason === 'duplicate') return;
		if (event.ended) tasks.markEnded(event.taskId);
		this.emit(decision);
		this.status.countReceived(event.ended);
	}

	/** A stream a start node stopped for its maximum duration ends here too, like in n8n. */
	private readonly onTaskRemoved = (task: TrackedTask, removal: Removal) => {
		if (removal.reason !== 'max_duration' || task.resultsNodeId !== this.node.id) return;
		const stop = { taskId: task.taskId, reason: 'max_duration' as const, maxDurationMinutes: task.maxMinutes ?? 0 };
		const decision = this.gate.stopped(stop, removal.outcome, Date.now());
		if (decision.kind !== 'emit') return;
		this.emit(decision);
		this.status.streamStopped();
	};

	private emit(decision: GateDecision): void {
		if (decision.kind !== 'emit') return;
		for (const item of decision.items) {
			const msg: NodeMessage = { payload: item, topic: item.task_id };
			this.node.send(item.ended ? [null, msg] : [msg, null]);
		}
	}
}
