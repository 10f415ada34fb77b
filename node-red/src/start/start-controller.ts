// Starts analysing a live stream for each input message, remembers the task (the API cannot list
// them), and stops its tasks on redeploy/shutdown (Stop on close) and at their maximum duration.
import {
	AnswerFormat,
	DAILY_BUDGET_LABEL,
	InputError,
	MemoriesApiError,
	StartInput,
	StreamClient,
	composeUserPrompt,
	deadlineAfter,
	newStartId,
	startOutput,
	validateMaxDuration,
	validatePublicUrl,
	withDeadline,
	withStartId,
} from '../../../core';
import { CLOSE_BUDGET_MS, stopOptionsBefore } from '../lib/close-budget';
import { shortReason, toError } from '../lib/errors';
import { stopHiddenTask } from '../lib/hidden-tasks';
import type { ConfigNode, Node, NodeAPI, NodeMessage, ResultsNode } from '../lib/red';
import { streamClientOf } from '../lib/stream-client';
import { Removal, TrackedTask, tasks } from '../lib/tasks';
import { METER_REFRESH_MS, costStatus } from './cost-status';
import { MaxDurationTimers } from './max-duration-timers';
import type { MessageOverride, StartProperties } from './properties';

/** The prompt to send: with JSON fields, our answer instruction after it (the core's composition). */
function withAnswerInstruction(prompt: unknown, format: AnswerFormat | undefined): unknown {
	return typeof prompt === 'string' && format?.mode === 'json' ? composeUserPrompt(prompt, format) : prompt;
}

export class StartController {
	private readonly config: ConfigNode | null;
	private readonly stopOnClose: boolean;
	private readonly timers: MaxDurationTimers;
	/** Input messages still being handled (a start waiting for its answer, mostly). */
	private readonly handling = new Set<Promise<void>>();
	private closed = false;
	/** Refreshes the cost meter while streams run. */
	private meter: NodeJS.Timeout | undefined;
	/** When this node's close must be over (set when it closes). */
	private closeDeadline = Infinity;

	constructor(
		private readonly RED: NodeAPI,
		private readonly node: Node,
		private readonly props: StartProperties,
	) {
		this.config = RED.nodes.getNode(props.config) as ConfigNode | null;
		this.stopOnClose = props.stopOnClose !== false;
		this.timers = new MaxDurationTimers({
			stop: (taskId) => this.client().stop(taskId),
			stopped: (taskId, minutes, outcome) => {
				node.log(RED._('memories-live-start.log.max-duration', { taskId, minutes, outcome: outcome.outcome }));
				tasks.remove(taskId, { reason: 'max_duration', outcome: outcome.outcome });
			},
			failed: (_taskId, error) => node.error(toError(error, this.secrets())),
		});
		tasks.on('removed', this.onTaskRemoved);
		tasks.on('ended', this.onTaskEnded);
		tasks.on('added', this.onTaskAdded);
		// Streams an earlier instance of this node left running (Stop on close off, or a failed
		// stop) keep their maximum duration across the redeploy, and so do those whose start it
		// still had waiting for an answer when it closed (they are added afterwards).
		for (const task of this.mine()) this.arm(task);
		this.showStatus();
	}

	handle(msg: NodeMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void): void {
		const handled = this.start(msg, send, done);
		this.handling.add(handled);
		void handled.finally(() => this.handling.delete(handled));
	}

	close(done: () => void): void {
		this.closed = true;
		this.closeDeadline = Date.now() + CLOSE_BUDGET_MS;
		tasks.off('removed', this.onTaskRemoved);
		tasks.off('ended', this.onTaskEnded);
		tasks.off('added', this.onTaskAdded);
		this.timers.close();
		clearInterval(this.meter);
		this.node.status({});
		const running = [...this.mine(), ...this.hiddenOfMine()];
		const config = this.config;
		// Starts still waiting for their answer stop their stream as soon as it comes (see start):
		// wait for them too, or a shutdown would leave those streams running.
		const pending = this.stopOnClose && config ? [...this.handling] : [];
		if (!this.stopOnClose || !config || (running.length === 0 && pending.length === 0)) return done();
		let waitTimer: NodeJS.Timeout | undefined;
		const pendingSettled = Promise.race([
			Promise.all(pending),
			new Promise<void>((resolve) => (waitTimer = setTimeout(resolve, CLOSE_BUDGET_MS))),
		]).finally(() => clearTimeout(waitTimer));
		void Promise.all([pendingSettled, ...running.map((task) => this.stopOnClosing(task))]).then(() => done());
	}

	private async start(msg: NodeMessage, send: (msg: NodeMessage) => void, done: (err?: Error) => void): Promise<void> {
		const { RED, node } = this;
		const startId = newStartId();
		try {
			const config = this.config;
			if (!config) throw new InputError('Account', RED._('memories-live-start.errors.no-config'));
			const pick = (name: MessageOverride) => (msg[name] !== undefined ? msg[name] : this.props[name]);
			if (config.budgetProblem) throw new InputError(DAILY_BUDGET_LABEL, config.budgetProblem);
			const budget = config.budget?.();
			if (budget?.exceeded) {
				throw new InputError(DAILY_BUDGET_LABEL, RED._('memories-live-start.events.errors.budget', { used: budget.used_minutes_estimate, budget: budget.budget_minutes }));
			}
			const callback = this.callbackUrlFor(msg, config);
			const maxMinutes = validateMaxDuration(pick('maxDuration'));
			// The deadline and this start's marker travel in the callback URL (core/deadline.ts, core/hidden-tasks.ts).
			const callbackUrl = withStartId(withDeadline(callback.url, deadlineAfter(Date.now(), maxMinutes)), startId);
			const input: StartInput = {
				rtmpUrl: pick('rtmpUrl'),
				userPrompt: withAnswerInstruction(pick('userPrompt'), callback.answerFormat),
				systemPrompt: pick('systemPrompt'),
				callbackUrl,
				thinking: pick('thinking'),
			};
			tasks.beginStart({ startId, startNodeId: node.id, configId: config.id, resultsNodeId: callback.resultsNodeId, at: Date.now() });
			// "starting" once the request goes out: input the core refuses never shows it.
			let started;
			try {
				started = await streamClientOf(RED, config, () => {
					node.status({ fill: 'yellow', shape: 'dot', text: RED._('memories-live-start.status.starting') });
				}).start(input);
			} catch (error) {
				await this.startFailed(startId, error);
				throw error;
			}
			tasks.endStart(startId);
			const task: TrackedTask = {
				taskId: started.taskId,
				startNodeId: node.id,
				configId: config.id,
				resultsNodeId: callback.resultsNodeId,
				startedAt: started.startedAt,
				maxMinutes,
			};
			if (this.closed && this.stopOnClose) {
				await this.stopStartedAfterClose(task);
				done();
				return;
			}
			tasks.add(task); // armed and shown by onTaskAdded (or by the node that replaced this one)
			msg.task_id = started.taskId;
			msg.payload = startOutput(started, maxMinutes);
			send(msg);
			done();
		} catch (error) {
			if (!this.closed) node.status({ fill: 'red', shape: 'ring', text: shortReason(error) });
			done(toError(error, this.secrets()));
		}
	}

	/**
	 * A start whose answer was lost may have left a task nobody knows: kept as a lost attempt, so
	 * that the results its task sends get it stopped (core/hidden-tasks.ts), and stopped now if its
	 * results already came while the answer was awaited.
	 */
	private async startFailed(startId: string, error: unknown): Promise<void> {
		if (!(error instanceof MemoriesApiError && error.mayHaveStarted)) {
			tasks.endStart(startId);
			return;
		}
		const attempt = tasks.loseStart(startId);
		if (!attempt || !this.config) return;
		this.node.warn(this.RED._('memories-live-start.log.start-lost', { startId }));
		for (const taskId of attempt.seen.filter((id) => !tasks.get(id))) {
			await stopHiddenTask(this.RED, this.node, 'memories-live-start', this.client(), attempt, taskId, this.secrets());
		}
	}

	/** Tasks whose results showed they came from this node's starts still awaiting (or lost) their answer. */
	private hiddenOfMine(): TrackedTask[] {
		return tasks
			.startAttempts((attempt) => attempt.startNodeId === this.node.id)
			.flatMap((attempt) =>
				attempt.seen
					.filter((taskId) => !tasks.get(taskId))
					.map((taskId) => ({ taskId, startNodeId: attempt.startNodeId, configId: attempt.configId, resultsNodeId: attempt.resultsNodeId, startedAt: attempt.at })),
			);
	}

	private callbackUrlFor(msg: NodeMessage, config: ConfigNode): { url: unknown; resultsNodeId?: string; answerFormat?: AnswerFormat } {
		const { RED } = this;
		if (msg.callbackUrl !== undefined) return { url: msg.callbackUrl };
		if (this.props.callbackMode === 'url') return { url: this.props.callbackUrl };
		const results = RED.nodes.getNode(this.props.results ?? '') as ResultsNode | null;
		if (!results || typeof results.callbackUrl !== 'function') {
			throw new InputError('Results node', RED._('memories-live-start.errors.no-results-node'));
		}
		const publicUrl = validatePublicUrl(config.publicUrl);
		if (!publicUrl) throw new InputError('Public URL', RED._('memories-live-start.errors.no-public-url'));
		// Fields are declared once, on the results node that reads the answers.
		return { url: results.callbackUrl(publicUrl), resultsNodeId: results.id, answerFormat: results.answerFormat?.() };
	}

	/**
	 * A start answered after this node closed (redeploy, deletion, shutdown): the stream must not
	 * outlive the node that started it. Stopped at once; tracked only if that fails.
	 */
	private async stopStartedAfterClose(task: TrackedTask): Promise<void> {
		const { RED, node } = this;
		try {
			await this.client().stop(task.taskId, stopOptionsBefore(this.closeDeadline));
			node.log(RED._('memories-live-start.log.stopped-after-close', { taskId: task.taskId }));
		} catch (error) {
			tasks.add(task); // still known, so that a stop node ("every stream") can stop it
			node.error(RED._('memories-live-start.errors.stop-on-close', { taskId: task.taskId, reason: toError(error, this.secrets()).message }));
		}
	}

	private async stopOnClosing(task: TrackedTask): Promise<void> {
		try {
			await this.client().stop(task.taskId, stopOptionsBefore(this.closeDeadline));
			tasks.remove(task.taskId);
		} catch (error) {
			const reason = toError(error, this.secrets()).message;
			this.node.error(this.RED._('memories-live-start.errors.stop-on-close', { taskId: task.taskId, reason }));
		}
	}

	/** The account's client; only called once a config node is known to exist. */
	private client(): StreamClient {
		return streamClientOf(this.RED, this.config as ConfigNode);
	}

	private secrets(): string[] {
		return this.config?.secrets() ?? [];
	}

	private mine(): TrackedTask[] {
		return tasks.list((task) => task.startNodeId === this.node.id);
	}

	private arm(task: TrackedTask): void {
		if (this.closed || !this.config || task.configId !== this.config.id) return;
		this.timers.arm(task);
	}

	private showStatus(): void {
		if (this.closed) return; // the status now belongs to the node that replaced this one
		const running = this.mine().filter((task) => task.endedAt === undefined);
		this.node.status(costStatus(this.RED, running, this.config));
		// Also while the daily budget is used up: the status clears when the next UTC day begins.
		if (running.length > 0 || this.config?.budget?.()?.exceeded) this.meter ??= setInterval(() => this.showStatus(), METER_REFRESH_MS);
		else {
			clearInterval(this.meter);
			this.meter = undefined;
		}
	}

	private readonly onTaskRemoved = (task: TrackedTask, _removal: Removal) => {
		if (task.startNodeId !== this.node.id) return;
		this.timers.disarm(task.taskId);
		this.showStatus();
	};

	private readonly onTaskEnded = (task: TrackedTask) => {
		if (task.startNodeId === this.node.id) this.showStatus();
	};

	private readonly onTaskAdded = (task: TrackedTask) => {
		if (task.startNodeId !== this.node.id) return;
		this.arm(task);
		this.showStatus();
	};
}
