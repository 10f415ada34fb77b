// A start node's maximum-duration timers: at its deadline a stream is stopped, and a failed stop
// is tried again with back-off while the node lives (the stream still bills).
import { StopOutcome, backoffDelayMs, maxDurationDeadline } from '../../../core';
import type { TrackedTask } from '../lib/tasks';
import { tasks } from '../lib/tasks';

export interface MaxDurationStops {
	/** Stops the task (with the client's retries). */
	stop(taskId: string): Promise<StopOutcome>;
	stopped(taskId: string, minutes: number, outcome: StopOutcome): void;
	failed(taskId: string, error: unknown): void;
}

export class MaxDurationTimers {
	private readonly timers = new Map<string, NodeJS.Timeout>();
	private closed = false;

	constructor(private readonly stops: MaxDurationStops) {}

	/** Arms the task's timer (again), if it has a limit. */
	arm(task: TrackedTask): void {
		const minutes = task.maxMinutes ?? 0;
		const deadline = maxDurationDeadline(task.startedAt, minutes);
		if (this.closed || deadline === undefined) return;
		this.set(task.taskId, Math.max(0, deadline - Date.now()), () => this.stop(task.taskId, minutes, 0));
	}

	disarm(taskId: string): void {
		clearTimeout(this.timers.get(taskId));
		this.timers.delete(taskId);
	}

	close(): void {
		this.closed = true;
		for (const timer of this.timers.values()) clearTimeout(timer);
		this.timers.clear();
	}

	private set(taskId: string, wait: number, fire: () => Promise<void>): void {
		this.disarm(taskId);
		this.timers.set(taskId, setTimeout(() => void fire(), wait));
	}

	private async stop(taskId: string, minutes: number, failures: number): Promise<void> {
		this.timers.delete(taskId);
		let outcome: StopOutcome;
		try {
			outcome = await this.stops.stop(taskId);
		} catch (error) {
			this.stops.failed(taskId, error);
			// Still billing: try again later while this node lives; a redeploy or a stop node can stop it too.
			if (!this.closed && tasks.get(taskId)) this.set(taskId, backoffDelayMs(failures + 1), () => this.stop(taskId, minutes, failures + 1));
			return;
		}
		this.stops.stopped(taskId, minutes, outcome);
	}
}
