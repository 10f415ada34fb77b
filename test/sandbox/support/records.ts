// The sandbox records a delivery once the receiver has answered it, so a test that has seen a
// callback arrive waits for its record by event, never by sleeping.
import { DeliveryRecord, Sandbox } from '../../../sandbox/src';

/** The task's delivery records, once there are at least `count`. */
export async function deliveriesOf(sandbox: Sandbox, taskId: string, count: number): Promise<DeliveryRecord[]> {
	while (sandbox.deliveries({ taskId }).length < count) await sandbox.waitFor('delivery', (r) => r.taskId === taskId);
	return sandbox.deliveries({ taskId });
}
