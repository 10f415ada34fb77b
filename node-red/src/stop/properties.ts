import type { NodeDef } from '../lib/red';

/** A memories-live-stop node as the editor saves it. */
export interface StopProperties extends NodeDef {
	/** The memories-live-config node's id. */
	config: string;
	/** `msg`: the task in the message (or the node's own Task ID); `all`: every stream of the account. */
	target?: 'msg' | 'all';
	/** Used when the message names no task. */
	taskId?: string;
	failIfNotFound?: boolean;
}
