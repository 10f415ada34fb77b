// Start and stop as both n8n nodes use them: the core builds and interprets, n8n sends.
import { sleep } from 'n8n-workflow';

import {
	StartInput,
	StartParams,
	Started,
	StopOutcome,
	buildStartRequest,
	buildStopRequest,
	interpretStartResponse,
	interpretStopResponse,
	retryStop,
	validateStartInput,
	validateTaskId,
} from '../../core';
import { ApiContext, ApiSession, sendApiRequest } from './transport';

/** A started stream, with the parameters it was started with as the core validated them. */
export interface StartedStream extends Started {
	params: StartParams;
}

/** Never retried: a lost answer may hide a started, billed task. */
export async function startStream(context: ApiContext, session: ApiSession, input: StartInput): Promise<StartedStream> {
	const params = validateStartInput(input);
	const response = await sendApiRequest(context, 'start', buildStartRequest(session.baseUrl, params));
	const started = interpretStartResponse(response, { secrets: session.secrets, callbackUrl: params.callbackUrl });
	return { ...started, params };
}

/** Idempotent: "not found or already stopped" is an outcome; retryable failures are retried. */
export async function stopStream(context: ApiContext, session: ApiSession, taskId: unknown): Promise<StopOutcome> {
	const id = validateTaskId(taskId);
	const request = buildStopRequest(session.baseUrl, id);
	return retryStop(
		id,
		async () => interpretStopResponse(id, await sendApiRequest(context, 'stop', request), { secrets: session.secrets }),
		sleep,
	);
}
