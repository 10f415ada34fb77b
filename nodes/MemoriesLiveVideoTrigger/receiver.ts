// Each callback: authenticate and validate it through the core, answer at once, and start the
// workflow only for results that pass the filters. Reads static data, never writes it (n8n's
// queue mode runs webhooks in other processes).
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	CallbackEvent,
	FilterMode,
	checkCallbackRequest,
	createDuplicateGuard,
	createResultFilter,
	maxDurationEndEvent,
	maxDurationExceeded,
	toResultPayload,
	tokenFromQuery,
	validateMaxDuration,
} from '../../core';
import { stopStream } from '../shared/streams';
import { openSession } from '../shared/transport';
import type { TriggerMode } from './mode';
import { readWatchState } from './watch-state';

interface Receiver {
	accepts(event: CallbackEvent): boolean;
	isDuplicate(event: CallbackEvent): boolean;
}

/**
 * Filters with memory ("only on change", duplicates) per workflow node and configuration, kept
 * in this process. In queue mode each webhook process remembers on its own.
 */
const receivers = new Map<string, Receiver>();
const MAX_RECEIVERS = 200;

function receiverFor(context: IWebhookFunctions): Receiver {
	const options = context.getNodeParameter('options', {}) as { caseSensitive?: boolean; ignoreDuplicates?: boolean };
	const config = {
		mode: context.getNodeParameter('emit', 'all') as FilterMode,
		keywords: context.getNodeParameter('keywords', '') as string,
		pattern: context.getNodeParameter('regex', '') as string,
		caseSensitive: options.caseSensitive === true,
	};
	const key = JSON.stringify([context.getWorkflow().id, context.getNode().id, config, options.ignoreDuplicates]);
	let receiver = receivers.get(key);
	if (!receiver) {
		const filter = createResultFilter(config);
		const guard = options.ignoreDuplicates === false ? { isDuplicate: () => false } : createDuplicateGuard();
		receiver = { accepts: (e) => filter.accepts(e), isDuplicate: (e) => guard.isDuplicate(e) };
		receivers.set(key, receiver);
		if (receivers.size > MAX_RECEIVERS) receivers.delete(receivers.keys().next().value as string);
	}
	return receiver;
}

function answer(context: IWebhookFunctions, httpStatus: number, reason?: string): IWebhookResponseData {
	const response = context.getResponseObject();
	if (reason === undefined) response.status(httpStatus).end();
	else response.status(httpStatus).json({ error: reason });
	return { noWebhookResponse: true };
}

function emit(context: IWebhookFunctions, event: CallbackEvent, extra: IDataObject = {}): IWebhookResponseData {
	context.getResponseObject().status(200).end();
	const json: IDataObject = {
		...toResultPayload(event),
		event: event.ended ? 'stream_ended' : 'result',
		...extra,
	};
	return { noWebhookResponse: true, workflowData: [context.helpers.returnJsonArray([json])] };
}

function expectedSecret(context: IWebhookFunctions, mode: TriggerMode): string {
	if (mode === 'receive') return String(context.getNodeParameter('callbackToken', ''));
	return readWatchState(context)?.secret ?? '';
}

export async function receiveCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const mode = this.getNodeParameter('mode', 'watch') as TriggerMode;
	const raw = (request as { rawBody?: unknown }).rawBody;
	const check = checkCallbackRequest(
		{
			method: request.method,
			contentType: request.headers['content-type'],
			token: tokenFromQuery(this.getQueryData()),
			body: raw instanceof Uint8Array ? raw : this.getBodyData(),
			bodyIsParsed: !(raw instanceof Uint8Array),
		},
		expectedSecret(this, mode),
	);
	if (!check.ok) return answer(this, check.httpStatus, check.reason);

	const event = check.event;
	const receiver = receiverFor(this);
	if (receiver.isDuplicate(event)) return answer(this, 200);
	const state = mode === 'watch' ? readWatchState(this) : undefined;
	if (state && event.taskId !== state.taskId) {
		// Our secret, but not our task: a start whose answer was lost. Nobody else can stop it.
		await stopStream(this, await openSession(this), event.taskId);
		return answer(this, 200);
	}
	if (state && !event.ended) {
		const maxMinutes = validateMaxDuration(this.getNodeParameter('maxDurationMinutes', 0));
		const now = Date.now();
		if (maxDurationExceeded(state.startedAt, maxMinutes, now)) {
			const stop = await stopStream(this, await openSession(this), state.taskId);
			// Only the callback whose stop actually ended the stream reports it.
			if (stop.outcome !== 'stopped') return answer(this, 200);
			return emit(this, maxDurationEndEvent(state.taskId, maxMinutes, now), { reason: 'max_duration' });
		}
	}
	if (!receiver.accepts(event)) return answer(this, 200);
	return emit(this, event);
}
