// What the trigger keeps in the workflow's static data (n8n persists it with the workflow, so
// it survives restarts): the one task an activation started, and the secret of its callback URL.
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';

export interface WatchState {
	taskId: string;
	secret: string;
	/** When the task was started, in epoch milliseconds (for the maximum duration). */
	startedAt: number;
}

export function readWatchState(context: IHookFunctions | IWebhookFunctions): WatchState | undefined {
	const data = context.getWorkflowStaticData('node') as IDataObject;
	const { taskId, secret, startedAt } = data;
	if (typeof taskId !== 'string' || typeof secret !== 'string' || typeof startedAt !== 'number') return undefined;
	return { taskId, secret, startedAt };
}

export function writeWatchState(context: IHookFunctions, state: WatchState): void {
	Object.assign(context.getWorkflowStaticData('node'), state);
}

export function clearWatchState(context: IHookFunctions): void {
	const data = context.getWorkflowStaticData('node') as IDataObject;
	delete data.taskId;
	delete data.secret;
	delete data.startedAt;
}
