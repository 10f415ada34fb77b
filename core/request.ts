import { Limits, START_PATH, STOP_PATH_PREFIX } from './contract';
import type { StartParams } from './validate';

/** An API call as data: each host sends it with its own HTTP client. */
export interface ApiRequest {
	method: 'POST';
	/** Absolute URL: the validated Base URL plus `path`. */
	url: string;
	path: string;
	headers: Record<string, string>;
	/** The JSON body, as text and as the object it encodes. */
	body: string;
	json: Record<string, unknown>;
	timeoutMs: number;
}

/** Documented: the raw key in `Authorization`, no "Bearer " prefix. */
export function authHeaders(apiKey: string): { Authorization: string } {
	return { Authorization: apiKey };
}

function request(baseUrl: string, path: string, json: Record<string, unknown>, apiKey?: string): ApiRequest {
	return {
		method: 'POST',
		url: `${baseUrl}${path}`,
		path,
		headers: {
			'Content-Type': 'application/json',
			Accept: 'application/json',
			...(apiKey === undefined ? {} : authHeaders(apiKey)),
		},
		body: JSON.stringify(json),
		json,
		timeoutMs: Limits.requestTimeoutMs,
	};
}

/**
 * @param baseUrl from `validateBaseUrl`
 * @param apiKey leave out when the host adds authentication itself (n8n credentials)
 */
export function buildStartRequest(baseUrl: string, params: StartParams, apiKey?: string): ApiRequest {
	return request(
		baseUrl,
		START_PATH,
		{
			url: params.rtmpUrl,
			user_prompt: params.userPrompt,
			system_prompt: params.systemPrompt,
			callback: params.callbackUrl,
			thinking: params.thinking,
		},
		apiKey,
	);
}

/** @param taskId from `validateTaskId` */
export function buildStopRequest(baseUrl: string, taskId: string, apiKey?: string): ApiRequest {
	return request(baseUrl, `${STOP_PATH_PREFIX}${encodeURIComponent(taskId)}`, {}, apiKey);
}
