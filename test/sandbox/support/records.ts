// The sandbox records a delivery once the receiver has answered it, so a test that has seen a
// callback arrive waits for its record by event, never by sleeping.
import { DeliveryRecord, Sandbox } from '../../../sandbox/src';

/** The task's delivery records, once there are at least `count`. */
export async function deliveriesOf(sandbox: Sandbox, taskId: string, count: number): Promise<DeliveryRecord[]> {
	while (sandbox.deliveries({ taskId }).length < count) await sandbox.waitFor('delivery', (r) => r.taskId === taskId);
	return sandbox.deliveries({ taskId });
}

/** The task's delivery record of each frame in `frames` (the first, for a duplicated one), once all exist. */
export async function deliveriesOfFrames(sandbox: Sandbox, taskId: string, frames: number[]): Promise<DeliveryRecord[]> {
	const find = () => frames.map((frame) => sandbox.deliveries({ taskId }).find((d) => d.frame === frame));
	while (find().some((d) => d === undefined)) await sandbox.waitFor('delivery', (r) => r.taskId === taskId);
	return find() as DeliveryRecord[];
}
