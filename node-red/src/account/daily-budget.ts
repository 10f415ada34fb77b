// An account's optional daily budget of stream-minutes (UTC days, estimates: the API reports no
// usage). It counts what the streams started with this account used today; once the budget is
// used up it stops every one of them, says so (log, debug sidebar, the start nodes' status, each
// stream's summary with reason "budget"), and start nodes refuse new starts until the next day.
import { DailyBudgetCheck, DailyUsageState, MeteredStream, checkDailyBudget, currentDailyUsage, recordEndedStream } from '../../../core';
import { toError } from '../lib/errors';
import type { ConfigNode, NodeAPI } from '../lib/red';
import { streamClientOf } from '../lib/stream-client';
import { TrackedTask, tasks } from '../lib/tasks';

const MIN_CHECK_MS = 1000;
const MAX_CHECK_MS = 60000;
const USAGE_KEY = 'memories-daily-usage';

export type BudgetStatus = Omit<DailyBudgetCheck, 'usage'>;

export class DailyBudget {
	private usage: DailyUsageState;
	/** Tasks whose time is counted in `usage` already (they reported their end and are still listed). */
	private readonly counted = new Set<string>();
	private timer: NodeJS.Timeout | undefined;
	private warnedDay: string | undefined;
	private closed = false;

	constructor(
		private readonly RED: NodeAPI,
		private readonly node: ConfigNode,
		private readonly minutes: number,
	) {
		// Kept in the node's context: a redeploy of the account does not give the day's minutes back.
		this.usage = currentDailyUsage(node.context?.().get(USAGE_KEY), Date.now());
		tasks.on('added', this.onChange);
		tasks.on('ended', this.onEnded);
		tasks.on('removed', this.onRemoved);
		this.schedule();
	}

	check(now = Date.now()): BudgetStatus {
		const { usage, ...check } = checkDailyBudget(this.usage, this.running(), this.minutes, now);
		this.save(usage);
		return check;
	}

	close(): void {
		this.closed = true;
		clearTimeout(this.timer);
		tasks.off('added', this.onChange);
		tasks.off('ended', this.onEnded);
		tasks.off('removed', this.onRemoved);
	}

	private mine(task: TrackedTask): boolean {
		return task.configId === this.node.id;
	}

	private running(): MeteredStream[] {
		return tasks.list((task) => this.mine(task) && task.endedAt === undefined);
	}

	private save(usage: DailyUsageState): void {
		this.usage = usage;
		this.node.context?.().set(USAGE_KEY, usage);
	}

	private readonly onChange = (task: TrackedTask) => {
		if (this.mine(task)) this.schedule();
	};

	private readonly onEnded = (task: TrackedTask) => {
		if (!this.mine(task) || this.counted.has(task.taskId)) return;
		this.counted.add(task.taskId);
		this.save(recordEndedStream(this.usage, { startedAt: task.startedAt, endedAt: task.endedAt ?? Date.now() }, Date.now()));
		this.schedule();
	};

	private readonly onRemoved = (task: TrackedTask) => {
		if (!this.mine(task)) return;
		if (!this.counted.delete(task.taskId)) this.save(recordEndedStream(this.usage, { startedAt: task.startedAt, endedAt: Date.now() }, Date.now()));
		this.schedule();
	};

	/** The next check: when the running streams would use the rest of the budget, within [1 s, 1 min]. */
	private schedule(): void {
		clearTimeout(this.timer);
		this.timer = undefined;
		if (this.closed) return;
		const check = this.check();
		if (check.exceeded && check.stop.length > 0) {
			void this.enforce(check);
			return;
		}
		const running = this.running().length;
		if (running === 0) return;
		const leftMs = (check.remaining_minutes_estimate ?? 0) * 60000;
		const wait = Math.min(MAX_CHECK_MS, Math.max(MIN_CHECK_MS, leftMs / running));
		this.timer = setTimeout(() => this.schedule(), wait);
		this.timer.unref?.();
	}

	private async enforce(check: BudgetStatus): Promise<void> {
		const { RED, node } = this;
		if (this.warnedDay !== check.day) {
			this.warnedDay = check.day;
			node.warn(RED._('memories-live-config.budget.warn.exceeded', { budget: check.budget_minutes, used: check.used_minutes_estimate, count: check.stop.length, taskIds: check.stop.join(', ') }));
		}
		const client = streamClientOf(RED, node);
		await Promise.all(
			check.stop.map(async (taskId) => {
				try {
					const outcome = await client.stop(taskId);
					node.log(RED._('memories-live-config.budget.log.stopped', { taskId, outcome: outcome.outcome }));
					tasks.remove(taskId, { reason: 'budget', outcome: outcome.outcome });
				} catch (error) {
					// Still billing: the next check (within a minute) tries again.
					node.error(RED._('memories-live-config.budget.errors.stop', { taskId, reason: toError(error, node.secrets()).message }));
				}
			}),
		);
		if (!this.closed && this.running().length > 0) {
			this.timer = setTimeout(() => this.schedule(), MAX_CHECK_MS);
			this.timer.unref?.();
		}
	}
}
