// The start node's status as a cost meter: its running streams and their billed minutes so far
// (an estimate: start to now in whole 5 s windows; the API reports no usage), or that its
// account's daily budget is used up. Short enough to stay under the node (the editor test).
import { meterStreams } from '../../../core';
import type { ConfigNode, NodeAPI, NodeStatus } from '../lib/red';
import type { TrackedTask } from '../lib/tasks';

/** How often a start node with running streams refreshes its meter. */
export const METER_REFRESH_MS = 15000;

/** 12.5, or 1440 from 100 on: short enough for the status. */
function shortMinutes(minutes: number): string {
	return minutes < 100 ? minutes.toFixed(1) : String(Math.round(minutes));
}

export function costStatus(RED: NodeAPI, running: readonly TrackedTask[], config: ConfigNode | null, now = Date.now()): NodeStatus {
	const budget = config?.budget?.();
	if (budget?.exceeded) {
		return { fill: 'red', shape: 'ring', text: RED._('memories-live-start.status.budget') };
	}
	if (running.length === 0) return { fill: 'grey', shape: 'ring', text: RED._('memories-live-start.status.idle') };
	const meter = meterStreams(running, now);
	// Below a minute there is nothing worth counting yet: the count alone.
	if (meter.total_billed_minutes_estimate < 1) {
		return { fill: 'green', shape: 'dot', text: RED._('memories-live-start.status.running', { count: running.length }) };
	}
	return {
		fill: 'green',
		shape: 'dot',
		text: RED._('memories-live-start.status.running-billed', { count: running.length, minutes: shortMinutes(meter.total_billed_minutes_estimate) }),
	};
}
