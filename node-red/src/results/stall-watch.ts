// The results node's stall timer: once a second it asks the gate about each stream it is
// watching (streams heard from, or started by a start node, and not ended). The gate keeps the
// stall state; this only knows which streams to ask about, and drops those with nothing due.
import type { GateDecision, ResultGate } from '../../../core';

const TICK_MS = 1000;

export class StallWatch {
	private readonly watched = new Set<string>();
	private readonly timer: NodeJS.Timeout;

	constructor(
		private readonly gate: ResultGate,
		private readonly report: (decision: GateDecision) => void,
	) {
		this.timer = setInterval(() => this.tick(), TICK_MS);
		this.timer.unref?.();
	}

	watch(taskId: string): void {
		this.watched.add(taskId);
	}

	close(): void {
		clearInterval(this.timer);
		this.watched.clear();
	}

	private tick(): void {
		const now = Date.now();
		for (const taskId of this.watched) {
			const due = this.gate.stallDueAt(taskId);
			// Unknown, ended, or stalled already: the next callback (stream_resumed) watches it again.
			if (due === null) this.watched.delete(taskId);
			else if (now >= due) this.report(this.gate.checkStall(taskId, now));
		}
	}
}
