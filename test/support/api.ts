// A minimal client for tests: sends the core's requests with undici and returns the raw answer.
import { request } from 'undici';

import { ApiRequest, buildStartRequest, buildStopRequest, StartParams } from '../../core';

export interface RawAnswer {
	httpStatus: number;
	body: string;
	json: unknown;
}

export interface PlainRequest {
	method: string;
	url: string;
	headers?: Record<string, string>;
	body?: string;
}

export async function send(req: ApiRequest | PlainRequest, timeoutMs = 10000): Promise<RawAnswer> {
	const response = await request(req.url, {
		method: req.method as 'POST',
		headers: req.headers,
		body: req.body,
		headersTimeout: timeoutMs,
		bodyTimeout: timeoutMs,
	});
	const body = await response.body.text();
	let json: unknown;
	try {
		json = JSON.parse(body);
	} catch {
		json = undefined;
	}
	return { httpStatus: response.statusCode, body, json };
}

export function startParams(callbackUrl: string, overrides: Partial<StartParams> = {}): StartParams {
	return {
		rtmpUrl: 'rtmp://camera.example.com:1935/live/kitchen',
		userPrompt: 'Tell me when the pan is boiling over.',
		systemPrompt: 'You are a real-time video monitoring system.',
		callbackUrl,
		thinking: false,
		...overrides,
	};
}

export const get = (url: string) => send({ method: 'GET', url });

export const post = (url: string, json: unknown) =>
	send({ method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(json) });

export const start = (baseUrl: string, key: string | undefined, params: StartParams) =>
	send(buildStartRequest(baseUrl, params, key));

export const stop = (baseUrl: string, key: string | undefined, taskId: string) =>
	send(buildStopRequest(baseUrl, taskId, key));
