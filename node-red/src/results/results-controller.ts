// Receives memories.ai callbacks on RED.httpNode, authenticated by the secret in this node's
// callback URL; the core's result gate decides what goes out: results on output 1, stream ends
// on output 2.
import {
	CallbackCheck,
	CallbackEvent,
	CallbackRejection,
	GateDecision,
	REFUSAL_REPORT_INTERVAL_MS,
	ResultGate,
	StreamStop,
	buildCallbackUrl,
	createMemoryGateStore,
	createResultGate,
	generateSecret,
	isStrongSecret,
	maxDurationDeadline,
	newRefusalTally,
	normaliseReceiverPath,
	tallyRefusal,
} from '../../../core';
import { toError } from '../lib/errors';
import { stopHiddenTask } from '../lib/hidden-tasks';
import type { ConfigNode, NodeAPI, NodeMessage, ResultsNode } from '../lib/red';
import { addCallbackRoute } from '../lib/routes';
import { streamClientOf } from '../lib/stream-client';
import { Removal, StartAttempt, TrackedTask, tasks } from '../lib/tasks';
import type { ResultsProperties } from './properties';
import { ResultsStatus } from './results-status';

export class ResultsController {
	private readonly status: ResultsStatus;
	private readonly removeRoute: () => void;
	/** Strangers (no secret) and results lost (the secret matched) are warned of apart: neither hides the other. */
	private readonly refusals = { stranger: newRefusalTally(), lost: newRefusalTally() };

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
			return new ResultsController(RED, node, path, secret, gate, props.config);
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
		/** The optional account (config node) that stops streams started elsewhere at their deadline. */
		private readonly accountId: string | undefined,
	) {
		this.removeRoute = addCallbackRoute(RED, path, {
			secret,
			receive: (check) => this.receive(check),
			unauthorised: (refusal) => this.refused(refusal),
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

	/** Counted and shown at once; logged with what to check, at most once a minute. */
	private refused(refusal: CallbackRejection & { matched?: number }): void {
		const report = tallyRefusal(refusal.matched === undefined ? this.refusals.stranger : this.refusals.lost, refusal, Date.now());
		this.status.countRejected(refusal.httpStatus);
		if (!report) return;
		const key = report.kind === 'token' || report.kind === 'method' ? report.kind : 'body';
		this.node.warn(
			this.RED._(`memories-live-results.warn.refused-${key}`, {
				path: this.path,
				httpStatus: report.httpStatus,
				reason: report.reason,
				since: report.since,
				total: report.total,
			}),
		);
	}

	private receive(check: CallbackCheck): void {
		if (!check.ok) {
			this.refused(check);
			return;
		}
		const { event } = check;
		const tracked = tasks.get(event.taskId);
		const attempt = event.startId === undefined ? undefined : tasks.startAttempt(event.startId);
		if (attempt && !tracked) tasks.noteTaskOfStart(attempt.startId, event.taskId);
		const account = this.accountFor(tracked?.configId ?? attempt?.configId);
		// A lost start's task, which nobody tracks, is a hidden one (core/hidden-tasks.ts).
		const claim = attempt ? { startedHere: attempt.lost, tracked: tracked !== undefined } : undefined;
		const gated = account || event.stopAt === undefined ? event : this.cannotStop(event);
		const decision = this.gate.receive(gated, Date.now(), undefined, claim);
		if (decision.kind === 'stop') {
			if (account) void this.stop(decision, account, attempt);
			return;
		}
		if (decision.kind === 'none' && decision.reason === 'duplicate') return;
		if (event.ended) tasks.markEnded(event.taskId);
		this.emit(decision);
		this.status.countReceived(event.ended);
	}

	/** The account that stops a task: its start node's, else this node's own (optional). */
	private accountFor(configId: string | undefined): ConfigNode | undefined {
		const account = this.RED.nodes.getNode(configId ?? this.accountId ?? '') as ConfigNode | null;
		return account && typeof account.transport === 'function' ? account : undefined;
	}

	/** Tasks being stopped from here: a burst of their results makes one stop. */
	private readonly stopping = new Set<string>();

	/** Stops a task past its deadline (and ends it on output 2), or a hidden one. Never throws. */
	private async stop(stop: StreamStop, account: ConfigNode, attempt: StartAttempt | undefined): Promise<void> {
		if (this.stopping.has(stop.taskId)) return;
		this.stopping.add(stop.taskId);
		try {
			const client = streamClientOf(this.RED, account);
			if (stop.reason === 'not_owned') {
				if (attempt) await stopHiddenTask(this.RED, this.node, 'memories-live-results', client, attempt, stop.taskId, account.secrets());
				return;
			}
			const { outcome } = await client.stop(stop.taskId);
			tasks.remove(stop.taskId); // a plain removal: the ended item goes out here, once
			this.node.log(this.RED._('memories-live-results.log.deadline', { taskId: stop.taskId, outcome }));
			const decision = this.gate.stopped(stop, outcome, Date.now());
			if (decision.kind !== 'emit') return;
			this.emit(decision);
			this.status.streamStopped();
		} catch (error) {
			// Still billing: the next result past the deadline tries again.
			this.node.error(this.RED._('memories-live-results.errors.deadline-not-stopped', { taskId: stop.taskId, reason: toError(error, account.secrets()).message }));
		} finally {
			this.stopping.delete(stop.taskId);
		}
	}

	/** When this node last said it cannot stop a stream past its deadline. */
	private cannotStopWarnedAt = 0;

	/** A result past its deadline, and no account to stop its stream: received as a result, said (once a minute). */
	private cannotStop(event: CallbackEvent): CallbackEvent {
		const now = Date.now();
		if (event.stopAt !== undefined && now >= event.stopAt && now - this.cannotStopWarnedAt >= REFUSAL_REPORT_INTERVAL_MS) {
			this.cannotStopWarnedAt = now;
			this.node.warn(this.RED._('memories-live-results.warn.no-account', { taskId: event.taskId, stopAt: new Date(event.stopAt).toISOString() }));
		}
		return { ...event, stopAt: undefined };
	}

	/** A stream a start node stopped for its maximum duration ends here too, like in n8n. */
	private readonly onTaskRemoved = (task: TrackedTask, removal: Removal) => {
		if (removal.reason !== 'max_duration' || task.resultsNodeId !== this.node.id) return;
		const minutes = task.maxMinutes ?? 0;
		const stopAt = maxDurationDeadline(task.startedAt, minutes) ?? Date.now();
		const stop = { taskId: task.taskId, reason: 'max_duration' as const, stopAt, maxDurationMinutes: minutes };
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
