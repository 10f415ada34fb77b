// What the trigger keeps in the workflow's static data (n8n persists it with the workflow, so
// it survives restarts, and exports it with the workflow): the one task an activation started,
// and the digest of its callback URL's secret. The secret itself is never stored: whoever holds
// an export or a copy of the workflow must not be able to send results in its name.
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';

import { isSecretDigest, secretDigest } from '../../core';

export interface WatchState {
	taskId: string;
	/** `secretDigest` of the secret in the task's callback URL. */
	secretDigest: string;
	/** When the task was started, in epoch milliseconds (for the maximum duration). */
	startedAt: number;
}

/**
 * Reads the state, also as earlier versions wrote it (the raw secret in `secret`), whose secret
 * counts by its digest. Never writes: webhooks (other processes in queue mode) read it too.
 */
export function readWatchState(context: IHookFunctions | IWebhookFunctions): WatchState | undefined {
	const data = context.getWorkflowStaticData('node') as IDataObject;
	const { taskId, startedAt } = data;
	if (typeof taskId !== 'string' || typeof startedAt !== 'number') return undefined;
	if (isSecretDigest(data.secretDigest)) return { taskId, secretDigest: data.secretDigest, startedAt };
	if (typeof data.secret === 'string' && data.secret !== '') return { taskId, secretDigest: secretDigest(data.secret), startedAt };
	return undefined;
}

/** Reads the state for a hook, which may write: a raw secret an earlier version stored is replaced by its digest. */
export function readAndUpgradeWatchState(context: IHookFunctions): WatchState | undefined {
	const state = readWatchState(context);
	const data = context.getWorkflowStaticData('node') as IDataObject;
	if (data.secret !== undefined) {
		if (state) writeWatchState(context, state);
		else delete data.secret;
	}
	return state;
}

export function writeWatchState(context: IHookFunctions, state: WatchState): void {
	const data = context.getWorkflowStaticData('node') as IDataObject;
	delete data.secret; // as earlier versions stored it
	Object.assign(data, { taskId: state.taskId, secretDigest: state.secretDigest, startedAt: state.startedAt });
}

export function clearWatchState(context: IHookFunctions): void {
	const data = context.getWorkflowStaticData('node') as IDataObject;
	delete data.taskId;
	delete data.secretDigest;
	delete data.secret;
	delete data.startedAt;
}
